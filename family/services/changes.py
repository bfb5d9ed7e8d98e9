"""Dossier change requests: every parent edit waits for an agent's decision.

Writes (``change_request_*``) run in one transaction with their timeline event and e-mail;
the reads they share with the dossier pages (``current_values``, ``pending_changes``) live in
``family.selectors.dossier``.
"""

import dataclasses

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import email_queue
from portal.errors import DomainError, refusal_reason

from ..hooks import change_attachments_attach
from ..models import AuthorizationType, ChangeRequest, Child, ChildAuthorization, ChildPhoto, Family
from ..photos import file_delete_on_commit
from ..selectors.dossier import (
    TARGET_FIELDS,
    current_values,
    dossier_url,
    serialize,
    target_instance,
)
from .acknowledgements import change_acknowledgement
from .events import family_event
from .quotients import QuotientError, quotient_from_change

Target = ChangeRequest.Target
Action = ChangeRequest.Action
Status = ChangeRequest.Status


class DossierError(DomainError):
    """A refused dossier operation; ``.message`` is the French text for the user."""


def _check_belongs(*, family: Family, target: str, object_id, child) -> None:
    """Defence in depth: the object and child must be this family's."""
    if child is not None and child.family_id != family.pk:
        raise DossierError(_("Cet enfant n’appartient pas à votre famille."))
    owned_targets = (Target.GUARDIAN, Target.CHILD, Target.AUTHORIZED_ADULT)
    if (
        object_id is not None
        and target in owned_targets
        and target_instance(family=family, target=target, object_id=object_id, child=child) is None
    ):
        raise DossierError(_("Cet élément n’appartient pas à votre famille."))


@transaction.atomic
def change_request_submit(
    *,
    family: Family,
    target: str,
    new_values: dict,
    by,
    action: str = Action.UPDATE,
    object_id: int | None = None,
    child: Child | None = None,
    photo=None,
    attachments: dict | None = None,
) -> ChangeRequest:
    """Record a parent's edit as a pending request (validated values expected).

    ``attachments``: the cleaned values of the extra fields other apps add to the form
    (``family.hooks``: the fiscal data's supporting document), stored in this transaction.

    Only fields that differ from the current values are kept. A field still pending in an
    older request is taken over by this one (the older request keeps its other fields, or
    becomes "superseded"). Raises DossierError when nothing changed or when the target is
    read-only for parents.
    """
    if target == Target.FISCAL and not family.collectivity.parents_may_edit_fiscal_data:
        raise DossierError(
            _(
                "Les données fiscales sont gérées par votre collectivité : pour les modifier, "
                "adressez-vous à elle avec vos pièces justificatives."
            )
        )
    _check_belongs(family=family, target=target, object_id=object_id, child=child)
    if action == Action.UPDATE:
        current = current_values(family=family, target=target, object_id=object_id, child=child)
    else:
        current = {}
    changes = {}
    for field, value in new_values.items():
        new = serialize(value)
        old = current.get(field)
        both_empty = new in ("", None) and old in ("", None)
        if action != Action.UPDATE or (new != old and not both_empty):
            changes[field] = {"old": old, "new": new}
    if action == Action.UPDATE and not changes and photo is None:
        raise DossierError(_("Aucune modification : les valeurs saisies sont celles du dossier."))

    if action == Action.UPDATE and (changes or photo is not None):
        older_requests = ChangeRequest.objects.select_for_update(of=("self",)).filter(
            family=family,
            target=target,
            object_id=object_id,
            child=child,
            action=Action.UPDATE,
            status=Status.PENDING,
        )
        for older in older_requests:
            overlap = set(older.changes) & set(changes)
            # A new photo replaces a pending one, even of the same image type.
            replaced_photo = photo is not None and bool(older.photo)
            if not overlap and not replaced_photo:
                continue
            older.changes = {k: v for k, v in older.changes.items() if k not in overlap}
            if replaced_photo or (not older.changes and not older.photo):
                older.status = Status.SUPERSEDED
                older.decided_at = timezone.now()
            if replaced_photo:
                _photo_forget(older)
            older.save(update_fields=["changes", "status", "decided_at", "photo"])

    request = ChangeRequest.objects.create(
        family=family,
        target=target,
        action=action,
        object_id=object_id,
        child=child,
        changes=changes,
        created_by=by,
    )
    if photo is not None:
        request.photo.save(photo.name, photo, save=True)
    if attachments:
        change_attachments_attach(change_request=request, data=attachments, by=by)
    family_event(
        family,
        subject=request,
        actor=by,
        verb="change_requested",
        message=_("Demande de modification envoyée : %(what)s.")
        % {"what": request.get_target_display()},
        data={"fields": sorted(changes)},
    )
    if by is not None and getattr(by, "email", ""):
        email_queue(
            template="family/change_received",
            context={
                "what": request.get_target_display(),
                "ack": change_acknowledgement(request),
                "recipient_name": by.get_full_name(),
            },
            collectivity=family.collectivity,
            family=family,
            to=[by.email],
            link=dossier_url(family),
        )
    return request


def _to_python(model, field: str, value):
    return model._meta.get_field(field).to_python(value)


def _apply(request: ChangeRequest) -> None:
    family, target, child = request.family, request.target, request.child
    new = {field: change["new"] for field, change in request.changes.items()}
    if target == Target.AUTHORIZATIONS:
        for key, granted in new.items():
            type_id = int(key.removeprefix("auth_"))
            authorization_type = AuthorizationType.objects.get(
                pk=type_id, collectivity=family.collectivity
            )
            ChildAuthorization.objects.update_or_create(
                child=child,
                authorization_type=authorization_type,
                defaults={"granted": bool(granted)},
            )
        return
    if target == Target.PHOTO:
        photo, _created = ChildPhoto.objects.get_or_create(
            child=child, defaults={"content_type": new.get("content_type", "image/jpeg")}
        )
        photo.content_type = new.get("content_type", photo.content_type)
        replaced = photo.file.name
        photo.file.save(request.photo.name.rsplit("/", 1)[-1], request.photo.file, save=False)
        photo.save()
        if replaced and replaced != photo.file.name:
            storage = photo.file.storage
            transaction.on_commit(lambda: storage.delete(replaced))
        return
    model, _fields = TARGET_FIELDS[target]
    if request.action == Action.DELETE:
        instance = target_instance(
            family=family, target=target, object_id=request.object_id, child=child
        )
        if instance is not None:
            instance.delete()
        return
    if request.action == Action.CREATE:
        instance = model()
        if target in (Target.GUARDIAN, Target.CHILD):
            instance.family = family
        elif target in (Target.HEALTH, Target.AUTHORIZED_ADULT):
            instance.child = child
    else:
        instance = target_instance(
            family=family, target=target, object_id=request.object_id, child=child
        )
        if instance is None:
            instance = model()
            if target in (Target.BANK, Target.FISCAL):
                instance.family = family
            elif target == Target.HEALTH:
                instance.child = child
            else:
                raise DossierError(_("L’élément modifié n’existe plus."))
    for field, value in new.items():
        setattr(instance, field, _to_python(model, field, value))
    try:
        instance.full_clean()
    except ValidationError as error:
        raise DossierError(
            _("La modification ne peut pas être appliquée : %(errors)s")
            % {"errors": "; ".join(error.messages)}
        ) from error
    instance.save()
    if request.action == Action.CREATE and request.object_id is None:
        request.object_id = instance.pk


def _photo_forget(request: ChangeRequest) -> None:
    """A photo request that can no longer be accepted (superseded, refused, cancelled): its
    file is deleted once the transaction commits and the row no longer names it (the caller
    saves the row)."""
    if request.photo:
        file_delete_on_commit(request.photo)
        request.photo = ""


def _locked_pending(change_request: ChangeRequest) -> ChangeRequest:
    locked = (
        # Lock only the request row: PostgreSQL refuses FOR UPDATE on the nullable side of
        # the outer join to "child".
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("family__collectivity", "child")
        .get(pk=change_request.pk)
    )
    if locked.status != Status.PENDING:
        raise DossierError(
            _("Cette demande a déjà été traitée (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    return locked


def _decide(request: ChangeRequest, status, by, verb: str, message: str, **event) -> None:
    # An agent's decision goes in the family's digest; the parent's own withdrawal does not.
    """Close a locked request (accepted, refused, cancelled) and record it on the timeline
    with ``message`` (« %(what)s », « %(reason)s »); ``object_id`` and ``refusal_reason`` are
    saved too (set by the caller when they change)."""
    request.status, request.decided_by, request.decided_at = status, by, timezone.now()
    if status in (Status.REFUSED, Status.CANCELLED):
        _photo_forget(request)
    request.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "object_id",
            "refusal_reason",
            "photo",
        ]
    )
    family_event(
        request.family,
        subject=request,
        actor=by,
        verb=verb,
        message=message % {"what": request.get_target_display(), "reason": request.refusal_reason},
        digest=status in (Status.ACCEPTED, Status.REFUSED),
        **event,
    )


@transaction.atomic
def change_request_accept(*, change_request: ChangeRequest, by) -> ChangeRequest:
    """Apply the request to the dossier, in one transaction."""
    request = _locked_pending(change_request)
    _apply(request)
    if request.target == Target.FISCAL and "family_quotient" in request.changes:
        # The new QF starts a period of its own (from the first day of this month).
        try:
            quotient_from_change(
                family=request.family, value=request.changes["family_quotient"]["new"], by=by
            )
        except QuotientError as error:
            raise DossierError(error.message) from error
    _decide(
        request,
        Status.ACCEPTED,
        by,
        "change_accepted",
        _("Demande de modification acceptée : %(what)s."),
        data={"changes": request.changes},
    )
    return request


@transaction.atomic
def change_request_refuse(*, change_request: ChangeRequest, by, reason: str) -> ChangeRequest:
    reason = refusal_reason(
        reason, error=DossierError, message=_("Indiquez le motif du refus : la famille le lira.")
    )
    request = _locked_pending(change_request)
    request.refusal_reason = reason
    _decide(
        request,
        Status.REFUSED,
        by,
        "change_refused",
        _("Demande de modification refusée : %(what)s. Motif : %(reason)s"),
    )
    return request


@transaction.atomic
def change_request_cancel(*, change_request: ChangeRequest, by) -> ChangeRequest:
    """The parent withdraws a request that is still pending."""
    request = _locked_pending(change_request)
    _decide(
        request,
        Status.CANCELLED,
        by,
        "change_cancelled",
        _("Demande de modification annulée : %(what)s."),
    )
    return request


@dataclasses.dataclass
class BulkDecision:
    """What a bulk decision did: the requests decided, and the others with the reason."""

    decided: list[ChangeRequest] = dataclasses.field(default_factory=list)
    failures: list[tuple[ChangeRequest, str]] = dataclasses.field(default_factory=list)


def changes_decide_bulk(*, change_requests, agent, accept: bool, reason: str = "") -> BulkDecision:
    """Accept, or refuse with one ``reason``, each request in turn, each in its own
    transaction: a request that cannot be decided (already decided, inapplicable) is listed
    with the reason and does not stop the others."""
    decision = BulkDecision()
    for change_request in change_requests:
        try:
            if accept:
                change_request_accept(change_request=change_request, by=agent)
            else:
                change_request_refuse(change_request=change_request, by=agent, reason=reason)
        except DossierError as error:
            decision.failures.append((change_request, error.message))
        else:
            decision.decided.append(change_request)
    return decision
