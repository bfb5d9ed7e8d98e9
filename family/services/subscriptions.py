"""Writes of the family app: subscriber codes and subscriptions."""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import DomainError
from portal.formats import actor_or_none
from portal.models import Collectivity
from portal.throttle import address_subject, throttle_rate, throttle_release, throttle_take

from ..models import CodeAttempt, Family, PendingSignupCode, Subscription
from .events import family_event

# No look-alike characters: no 0/O, 1/I/L, no U (U/V), 5/S, 2/Z, 8/B.
CODE_ALPHABET = "ACDEFGHJKMNPQRTVWXY3479"
CODE_LENGTH = 12  # 23^12 ≈ 2.2e16 codes
# Failed look-ups allowed per account and per address: PORTAL_THROTTLES["subscriber_code"].
THROTTLE_ACTION = "subscriber_code"


class SubscriptionError(DomainError):
    """A refused subscription or code look-up; ``.message`` is the French text."""


def subscriber_code_normalize(code: str) -> str:
    """What a parent types, as stored: upper case, no spaces, dashes or quotes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _new_code(collectivity: Collectivity) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Family.objects.filter(collectivity=collectivity, subscriber_code=code).exists():
            return code


@transaction.atomic
def family_code_regenerate(*, family: Family, by=None) -> str:
    """Give the family a new code; the old one stops working at once."""
    family = Family.objects.select_for_update().get(pk=family.pk)
    had_code = bool(family.subscriber_code)
    for _attempt in range(5):
        family.subscriber_code = _new_code(family.collectivity)
        family.code_generated_at = timezone.now()
        try:
            with transaction.atomic():
                family.save(update_fields=["subscriber_code", "code_generated_at"])
            break
        except IntegrityError:  # a concurrent generation took the same code
            continue
    family_event(
        family,
        actor=by,
        verb="code_regenerated" if had_code else "code_generated",
        message=_("Nouveau code abonné généré.") if had_code else _("Code abonné généré."),
    )
    return family.subscriber_code


@transaction.atomic
def family_code_revoke(*, family: Family, by=None) -> None:
    """The family's code stops working; existing subscriptions stay."""
    Family.objects.filter(pk=family.pk).update(subscriber_code=None, code_generated_at=None)
    family.subscriber_code = None
    family_event(family, actor=by, verb="code_revoked", message=_("Code abonné révoqué."))


def _lookup_subjects(*, user, ip_address) -> list[str | None]:
    return [f"user:{user.pk}" if user is not None else None, address_subject(ip_address)]


def subscriber_code_lookup(
    *, collectivity: Collectivity, code: str, user=None, ip_address: str | None = None
) -> Family:
    """The family of ``code`` in this collectivity only. Every attempt is logged; after
    5 failures in 15 minutes (per account or per address) look-ups are refused. The error
    never says whether a code exists elsewhere.

    Each look-up first takes a slot of its account and of its address (``portal.throttle``,
    atomic), and a right code gives its slots back: parallel wrong codes cannot be checked
    more than 5 times (reading the failures, then writing the attempt, let 9 of 10 parallel
    look-ups through)."""
    user = actor_or_none(user)
    normalized = subscriber_code_normalize(code)
    attempt = {
        "collectivity": collectivity,
        "user": user,
        "ip_address": ip_address,
        "code_hint": normalized[:3],
    }
    slots = throttle_take(
        THROTTLE_ACTION,
        subjects=_lookup_subjects(user=user, ip_address=ip_address),
        rate=throttle_rate(THROTTLE_ACTION),
    )
    if slots is None:
        CodeAttempt.objects.create(**attempt, success=False)
        raise SubscriptionError(
            _(
                "Trop de tentatives infructueuses. Pour votre sécurité, réessayez dans "
                "15 minutes ou contactez votre collectivité."
            )
        )
    family = None
    if len(normalized) == CODE_LENGTH:
        family = Family.objects.filter(
            collectivity=collectivity, subscriber_code=normalized
        ).first()
    CodeAttempt.objects.create(**attempt, family=family, success=family is not None)
    if family is None:
        raise SubscriptionError(
            _(
                "Ce code abonné n’est pas reconnu. Vérifiez-le sur le courrier de votre "
                "collectivité (12 caractères) et réessayez."
            )
        )
    throttle_release(slots)  # only failures count
    return family


@transaction.atomic
def subscription_create(*, user, family: Family, by=None) -> Subscription:
    """Link ``user`` to ``family``: active at once, no need to log in again. Idempotent."""
    subscription, created = Subscription.objects.get_or_create(user=user, family=family)
    if created:
        family_event(
            family,
            subject=subscription,
            actor=by or user,
            verb="subscription_created",
            message=_("Compte %(email)s abonné à la famille.") % {"email": user.email},
        )
    return subscription


@transaction.atomic
def subscription_unlink(*, subscription: Subscription, by=None) -> None:
    family = subscription.family
    family_event(
        family,
        actor=by,
        verb="subscription_removed",
        message=_("Abonnement du compte %(email)s supprimé.") % {"email": subscription.user.email},
    )
    subscription.delete()


@transaction.atomic
def signup_code_record(*, user, family: Family) -> PendingSignupCode:
    """A code given at sign-up: applied when the account's e-mail address is confirmed."""
    pending, _created = PendingSignupCode.objects.update_or_create(
        user=user, collectivity=family.collectivity, defaults={"family": family}
    )
    return pending


@transaction.atomic
def signup_codes_apply(*, user) -> list[Subscription]:
    """Turn the account's pending sign-up codes into subscriptions (on e-mail confirmation)."""
    subscriptions = []
    for pending in PendingSignupCode.objects.filter(user=user).select_related("family"):
        subscriptions.append(subscription_create(user=user, family=pending.family))
        pending.delete()
    return subscriptions
