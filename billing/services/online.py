"""Online payment (eopayment): one ``PaymentTransaction`` per attempt, PayFiP's limits checked
before any call, every answer of the provider appended to the transaction, and the payment
recorded exactly once.

Idempotency: an answer is applied under the transaction's row lock (``select_for_update``);
once PAID, any later answer is only appended to its history. A PAID answer is checked first —
it names the transaction's provider id, its amount and its reference, or it is refused,
logged and nothing changes. Money taken is the truth: a PAID answer is applied even to a
transaction that was cancelled, refused or expired in the meantime, while the other moves
only leave CREATED or WAITING.
"""

import datetime
import logging
import re
import uuid
from decimal import Decimal

from django.db import transaction as db_transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import email_queue, event_record
from portal.formats import euros, money_round

from .. import providers
from ..models import ZERO, Payment, PaymentTransaction
from .invoices import BillingError
from .payments import payment_record

logger = logging.getLogger("billing.online")
Status = PaymentTransaction.Status

# PayFiP's limits (eopayment's payfip_ws: minimal_amount, maximal_amount, REFDET_RE).
AMOUNT_MIN = Decimal("1.00")
AMOUNT_MAX = Decimal("100000.00")
REFERENCE_RE = re.compile(r"^[A-Za-z0-9]{1,30}$")
# A transaction nobody answered for is expired after this (PayFiP's idop lives 15 minutes).
EXPIRY = datetime.timedelta(minutes=30)
# A backend that can be asked (PayFiP) is asked until then, then the transaction expires.
STATUS_CHECK_LIMIT = datetime.timedelta(hours=24)
OPEN = (Status.CREATED, Status.WAITING)


def online_payment_check(*, amount, email: str, reference: str) -> None:
    """PayFiP's limits, checked before any call to the provider."""
    amount = money_round(amount)
    if amount < AMOUNT_MIN:
        raise BillingError(
            _(
                "Le paiement en ligne est possible à partir de %(min)s : réglez ce montant par "
                "un autre moyen."
            )
            % {"min": euros(AMOUNT_MIN)}
        )
    if amount > AMOUNT_MAX:
        raise BillingError(
            _("Le paiement en ligne est limité à %(max)s par paiement : payez en plusieurs fois.")
            % {"max": euros(AMOUNT_MAX)}
        )
    email = (email or "").strip()
    if not email:
        raise BillingError(_("Indiquez une adresse e-mail : le paiement en ligne l’exige."))
    if "@" not in email or not 6 <= len(email) <= 80:
        raise BillingError(_("L’adresse e-mail doit être valide et compter de 6 à 80 caractères."))
    if not REFERENCE_RE.match(reference or ""):
        raise BillingError(
            _("La référence du paiement doit compter de 1 à 30 lettres ou chiffres (sans accent).")
        )


def online_invoices_check(*, family, invoices) -> tuple:
    """The invoices a parent chose: at least one, all the family's and payable, of one régie
    that takes online payment. Returns (régie, amount)."""
    invoices = list(invoices)
    if not invoices:
        raise BillingError(_("Choisissez au moins une facture à payer."))
    for invoice in invoices:
        if invoice.family_id != family.pk:
            raise BillingError(_("Une des factures choisies n’est pas celle de votre famille."))
        if not invoice.is_payable:
            raise BillingError(
                _("La facture %(number)s n’est plus à payer.") % {"number": invoice.number}
            )
        if invoice.direct_debit_date:
            raise BillingError(
                _("La facture %(number)s sera prélevée : elle ne se paie pas en ligne.")
                % {"number": invoice.number}
            )
    regies = {invoice.regie_id: invoice.regie for invoice in invoices}
    if len(regies) > 1:
        raise BillingError(
            _(
                "Les factures choisies sont de plusieurs émetteurs (%(regies)s) : payez "
                "celles de chaque émetteur séparément."
            )
            % {"regies": ", ".join(sorted(regie.name for regie in regies.values()))}
        )
    regie = next(iter(regies.values()))
    if not providers.backend_available(regie):
        raise BillingError(
            _("Le paiement en ligne n’est pas proposé pour les factures de %(regie)s.")
            % {"regie": regie.name}
        )
    return regie, sum((invoice.balance for invoice in invoices), ZERO)


def _reference(regie, key: uuid.UUID) -> str:
    """Unique per attempt, within PayFiP's ``refdet`` alphabet: P + régie + date + 15 hex."""
    day = timezone.localdate().strftime("%Y%m%d")
    return f"P{regie.code}{day}{key.hex[:15].upper()}"


def _history(kind: str, **data) -> dict:
    return {"at": timezone.now().isoformat(), "kind": kind, **data}


def transaction_start(
    *, family, invoices, email: str, expected_amount=None, site_url: str, by
) -> tuple[PaymentTransaction, str]:
    """Start an online payment of ``invoices``: (the transaction, the provider's URL).

    ``site_url`` is the collectivity's root URL (``https://host/``): the return and
    notification URLs are absolute. ``expected_amount`` is what the parent confirmed; a
    different balance now is refused so nobody pays an amount they did not see."""
    invoices = list(invoices)
    regie, amount = online_invoices_check(family=family, invoices=invoices)
    if expected_amount is not None and money_round(expected_amount) != amount:
        raise BillingError(_("Le montant à payer a changé : vérifiez-le avant de payer."))
    key = uuid.uuid4()
    reference = _reference(regie, key)
    online_payment_check(amount=amount, email=email, reference=reference)
    since = timezone.now() - EXPIRY
    if PaymentTransaction.objects.filter(
        invoices__in=invoices, status__in=OPEN, created_at__gte=since
    ).exists():
        raise BillingError(
            _(
                "Un paiement en ligne de ces factures est déjà en cours. S’il n’aboutit pas, "
                "vous pourrez recommencer dans 30 minutes."
            )
        )
    with db_transaction.atomic():
        attempt = PaymentTransaction.objects.create(
            uuid=key,
            regie=regie,
            family=family,
            amount=amount,
            email=email.strip(),
            reference=reference,
            created_by=by,
        )
        attempt.invoices.set(invoices)
    root = site_url.rstrip("/")
    try:
        provider_id, url = providers.payment_request(
            regie,
            amount=amount,
            email=attempt.email,
            reference=reference,
            subject=_("Factures %(numbers)s")
            % {"numbers": ", ".join(invoice.number for invoice in invoices)},
            return_url=root + reverse("billing:payment_return", args=[key]),
            notify_url=root + reverse("billing:payment_notify", args=[key]),
        )
    except providers.ProviderError as error:
        logger.error("transaction %s: the provider refused the request: %s", key, error)
        _save(attempt, Status.ERROR, _history("request", error=str(error)))
        raise BillingError(
            _("Le service de paiement en ligne ne répond pas : réessayez un peu plus tard.")
        ) from error
    attempt.provider_id = provider_id
    _save(attempt, Status.WAITING, _history("request", provider_id=provider_id, url=url))
    logger.info("transaction %s: %s for %s, provider id %s", key, reference, amount, provider_id)
    return attempt, url


def _save(attempt, status, entry) -> None:
    attempt.status = status
    attempt.responses = [*attempt.responses, entry]
    attempt.save(update_fields=["status", "provider_id", "responses", "updated_at"])


class AnswerRefused(BillingError):
    """An answer that does not match its transaction (logged; nothing changed)."""


def _verify(attempt, answer) -> None:
    problems = []
    if answer.provider_id != attempt.provider_id:
        problems.append(f"provider id {answer.provider_id!r} ≠ {attempt.provider_id!r}")
    if answer.amount is not None and answer.amount != attempt.amount:
        problems.append(f"amount {answer.amount} ≠ {attempt.amount}")
    if answer.reference is not None and answer.reference != attempt.reference:
        problems.append(f"reference {answer.reference!r} ≠ {attempt.reference!r}")
    missing = answer.amount is None or answer.reference is None
    if answer.signed and answer.status == Status.PAID and missing:
        problems.append("a payment without its amount or reference")
    if problems:
        logger.warning(
            "transaction %s: answer refused (%s): %s", attempt.uuid, "; ".join(problems), answer
        )
        raise AnswerRefused(
            _("Cette réponse du service de paiement ne correspond pas à la transaction."),
            code="; ".join(problems),
        )


def transaction_answer(*, attempt: PaymentTransaction, answer, source: str) -> PaymentTransaction:
    """Apply one answer of the provider (a notification, a return, a status check) to its
    transaction. Unsigned answers (the dummy's browser return) are kept, not applied."""
    _verify(attempt, answer)
    with db_transaction.atomic():
        locked = (
            PaymentTransaction.objects.select_for_update(of=("self",))
            .select_related("regie", "family__collectivity")
            .get(pk=attempt.pk)
        )
        entry = _history(source, status=answer.status, signed=answer.signed, **answer.data)
        current = locked.status
        if not answer.signed or current == Status.PAID:
            new = current
        elif answer.status == Status.PAID:
            return _paid(locked, entry)
        elif current in OPEN:
            new = Status.WAITING if answer.status in OPEN else answer.status
        else:
            new = current  # refused, cancelled, expired: only money taken changes them
        _save(locked, new, entry)
        logger.info("transaction %s: %s answer (%s) → %s", locked.uuid, source, answer.status, new)
        if new == Status.DENIED and current != Status.DENIED:
            _tell(locked, verb="online_payment_refused", template="billing/online_payment_refused")
    return locked


def _paid(locked, entry) -> PaymentTransaction:
    invoice_ids = list(
        locked.invoices.order_by("due_date", "issue_date", "pk").values_list("pk", flat=True)
    )
    try:
        with db_transaction.atomic():
            payment = payment_record(
                regie=locked.regie,
                family=locked.family,
                kind=Payment.Kind.CARD,
                amount=locked.amount,
                date=timezone.localdate(),
                reference=locked.provider_id,
                invoice_ids=invoice_ids,
                notify=False,
            )
    except BillingError as error:
        # Paid at the provider, but the invoices were settled meanwhile: an agent refunds.
        logger.error("transaction %s: paid but not recorded (%s)", locked.uuid, error.message)
        _save(locked, Status.ERROR, {**entry, "error": error.message})
        return locked
    locked.payment = payment
    locked.status = Status.PAID
    locked.responses = [*locked.responses, entry]
    locked.save(update_fields=["status", "payment", "responses", "updated_at"])
    logger.info("transaction %s: paid, payment %s", locked.uuid, payment.number)
    _tell(locked, verb="online_payment_accepted", template="billing/online_payment_accepted")
    return locked


def _tell(locked, *, verb: str, template: str) -> None:
    from notifications.registry import family_emails

    invoices = list(locked.invoices.order_by("due_date", "pk"))
    context = {
        "transaction": locked,
        "invoices": invoices,
        "amount": euros(locked.amount),
        "numbers": ", ".join(invoice.number for invoice in invoices),
        "payment": locked.payment,
    }
    if verb == "online_payment_accepted":
        message = _("Paiement en ligne de %(amount)s accepté : %(numbers)s (règlement %(n)s).")
        context["n"] = locked.payment.number
    else:
        message = _("Paiement en ligne de %(amount)s refusé : %(numbers)s restent à payer.")
    context["message"] = message % context
    family = locked.family
    event_record(
        collectivity=family.collectivity,
        family_id=family.pk,
        subject=locked,
        verb=verb,
        message=context["message"],
    )
    to = sorted(set(family_emails(family.pk)) | {locked.email})
    email_queue(
        template=template,
        context=context,
        collectivity=family.collectivity,
        family=family,
        to=to,
        link=reverse("billing:index"),
        idempotency_key=f"{verb}:{locked.uuid}",
    )


def transaction_notify(*, attempt: PaymentTransaction, query_string: str, source: str):
    """A notification (server to server) or a return (the browser): read it through the
    backend, then apply it. Raises ``AnswerRefused`` or ``providers.ProviderError``."""
    answer = providers.payment_response(attempt.regie, query_string)
    return transaction_answer(attempt=attempt, answer=answer, source=source), answer


def transactions_check(*, now=None) -> dict:
    """The schedule ``payment_status``: every transaction left open is asked again where the
    backend can say (PayFiP's web service), and expired when nobody answered in time — the
    invoices stay to pay."""
    now = now or timezone.now()
    counts = {"checked": 0, "expired": 0}
    stale = PaymentTransaction.objects.filter(status__in=OPEN, created_at__lt=now - EXPIRY)
    for attempt in stale.select_related("regie", "family__collectivity").order_by("pk"):
        too_old = attempt.created_at < now - STATUS_CHECK_LIMIT
        if attempt.provider_id and not too_old and providers.has_status_check(attempt.regie):
            counts["checked"] += 1
            try:
                answer = providers.payment_status(
                    attempt.regie, provider_id=attempt.provider_id, created_at=attempt.created_at
                )
                transaction_answer(attempt=attempt, answer=answer, source="status")
            except (providers.ProviderError, AnswerRefused) as error:
                logger.warning("transaction %s: status check failed: %s", attempt.uuid, error)
            continue
        counts["expired"] += transaction_expire(attempt=attempt)
    return counts


def transaction_expire(*, attempt: PaymentTransaction) -> int:
    with db_transaction.atomic():
        locked = PaymentTransaction.objects.select_for_update(of=("self",)).get(pk=attempt.pk)
        if locked.status not in OPEN:
            return 0
        _save(locked, Status.EXPIRED, _history("expiry"))
    logger.info("transaction %s: expired, its invoices stay to pay", locked.uuid)
    return 1
