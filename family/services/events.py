"""The timeline events family's services record (``notifications.services.event_record``),
filed under the family or under the creation request they concern."""

from notifications.services import event_record


def family_event(family, *, actor, verb: str, message: str, subject=None, **extra):
    """An event of ``family``'s history (its subject is the family unless given)."""
    return event_record(
        collectivity=family.collectivity,
        family_id=family.pk,
        subject=family if subject is None else subject,
        actor=actor,
        verb=verb,
        message=message,
        **extra,
    )


def creation_event(request, *, actor, verb: str, message: str, digest: bool = False):
    """An event of a family-space creation request (no family exists yet: a decision is read
    by the account that asked)."""
    return event_record(
        collectivity=request.collectivity,
        subject=request,
        actor=actor,
        verb=verb,
        message=message,
        digest=digest,
        account=request.user if digest else None,
    )
