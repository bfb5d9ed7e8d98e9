"""Invoices: issued with a gapless number and their PDF, never edited; cancelled by a credit
note with its reason, who and when."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import email_queue, event_record
from portal.errors import DomainError, refusal_reason
from portal.formats import date_long, euros, money_round

from ..models import ZERO, Invoice, InvoiceLine, NumberCounter
from .numbering import number_next

Status = Invoice.Status


class BillingError(DomainError):
    """A refused operation on invoices or payments."""


@dataclass(frozen=True)
class LineInput:
    """One line of an invoice to issue (amount = quantity × unit price, to the cent)."""

    label: str
    quantity: Decimal
    unit_price: Decimal
    child: object = None
    period: str = ""
    details: str = ""
    activity: object = None  # the planning.Activity billed, when known


def invoice_status(total: Decimal, paid: Decimal) -> str:
    if paid <= 0:
        return Status.TO_PAY
    return Status.PAID if paid >= total else Status.PARTIAL


def _payer(family):
    payer = family.guardians.filter(is_payer=True).order_by("rank", "pk").first()
    return payer or family.guardians.order_by("rank", "pk").first()


def _address(guardian) -> str:
    parts = [
        guardian.address,
        guardian.address_complement,
        f"{guardian.postal_code} {guardian.city}".strip(),
    ]
    return "\n".join(part for part in parts if part)


def _lines(lines) -> list[InvoiceLine]:
    rows = []
    for position, line in enumerate(lines):
        quantity, unit_price = Decimal(line.quantity), money_round(line.unit_price)
        if quantity <= 0:
            raise BillingError(_("La quantité d’une ligne doit être positive."))
        if unit_price < 0:
            raise BillingError(_("Le prix unitaire d’une ligne ne peut pas être négatif."))
        if not (line.label or "").strip():
            raise BillingError(_("Chaque ligne doit dire ce qui est facturé."))
        child = line.child
        rows.append(
            InvoiceLine(
                child=child,
                activity=line.activity,
                child_name=f"{child.first_name} {child.last_name}".strip() if child else "",
                label=line.label.strip(),
                period=line.period,
                quantity=quantity,
                unit_price=unit_price,
                amount=money_round(quantity * unit_price),
                details=line.details,
                position=position,
            )
        )
    if not rows:
        raise BillingError(_("Une facture a au moins une ligne."))
    return rows


@transaction.atomic
def invoice_issue(
    *,
    regie,
    family,
    lines,
    issue_date: datetime.date,
    due_date: datetime.date,
    label: str = "",
    by=None,
    direct_debit_date: datetime.date | None = None,
    notify: bool = True,
    source_ref: str = "",
) -> Invoice:
    """Issue one invoice: its number, its lines, its PDF (rendered now and stored), the
    family's timeline event and the e-mail « Votre facture … est disponible »."""
    if family.collectivity_id != regie.collectivity_id:
        raise BillingError(_("Cette régie n’appartient pas à la collectivité de la famille."))
    if due_date < issue_date:
        raise BillingError(_("La date d’échéance ne peut pas précéder la date d’émission."))
    rows = _lines(lines)
    total = sum((row.amount for row in rows), ZERO)
    payer = _payer(family)
    if payer is None:
        raise BillingError(_("La famille n’a pas de responsable payeur."))
    invoice = Invoice.objects.create(
        regie=regie,
        family=family,
        payer=payer,
        payer_name=f"{payer.first_name} {payer.last_name}".strip(),
        payer_address=_address(payer),
        number=number_next(regie=regie, kind=NumberCounter.Kind.INVOICE, year=issue_date.year),
        label=label,
        source_ref=source_ref,
        issue_date=issue_date,
        due_date=due_date,
        total=total,
        direct_debit_date=direct_debit_date,
        issued_by=by,
    )
    for row in rows:
        row.invoice = invoice
    InvoiceLine.objects.bulk_create(rows)
    from ..pdf import invoice_pdf_store

    invoice_pdf_store(invoice)
    message = _("Facture %(number)s émise : %(total)s, à régler avant le %(due)s.") % {
        "number": invoice.number,
        "total": euros(total),
        "due": date_long(due_date),
    }
    event_record(
        collectivity=family.collectivity,
        family_id=family.pk,
        subject=invoice,
        actor=by,
        verb="invoice_issued",
        message=message,
    )
    if notify:
        _mail(invoice, template="billing/invoice_issued", context={"message": message})
    return invoice


def _mail(invoice: Invoice, *, template: str, context: dict) -> None:
    from notifications.registry import family_emails

    to = family_emails(invoice.family_id)
    if to:
        email_queue(
            template=template,
            context={"invoice": invoice, **context},
            collectivity=invoice.family.collectivity,
            family=invoice.family,
            to=to,
            link=reverse("billing:invoice", args=[invoice.pk]),
        )


@transaction.atomic
def invoice_cancel(*, invoice: Invoice, by, reason: str) -> Invoice:
    """Cancel an issued invoice by a credit note (its own number), with the reason."""
    reason = refusal_reason(
        reason,
        error=BillingError,
        message=_("Indiquez le motif de l’annulation : la famille le lira."),
    )
    locked = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("regie", "family__collectivity")
        .get(pk=invoice.pk)
    )
    if locked.status == Status.CANCELLED:
        raise BillingError(_("Cette facture est déjà annulée."))
    # A reversed payment (a returned direct debit) no longer counts.
    paid = (
        locked.allocations.filter(payment__reversal__isnull=True).aggregate(total=Sum("amount"))[
            "total"
        ]
        or ZERO
    )
    if paid > 0:
        raise BillingError(
            _(
                "Cette facture a déjà reçu %(paid)s de règlements : elle ne peut pas être annulée "
                "tant que ces règlements n’ont pas été remboursés ou reportés."
            )
            % {"paid": euros(paid)}
        )
    now = timezone.now()
    locked.credit_note_number = number_next(
        regie=locked.regie, kind=NumberCounter.Kind.CREDIT_NOTE, year=timezone.localdate(now).year
    )
    locked.status, locked.cancel_reason = Status.CANCELLED, reason
    locked.cancelled_at, locked.cancelled_by = now, by
    locked.save(
        update_fields=[
            "credit_note_number",
            "status",
            "cancel_reason",
            "cancelled_at",
            "cancelled_by",
        ]
    )
    message = _("Facture %(number)s annulée par l’avoir %(credit)s. Motif : %(reason)s") % {
        "number": locked.number,
        "credit": locked.credit_note_number,
        "reason": reason,
    }
    event_record(
        collectivity=locked.family.collectivity,
        family_id=locked.family_id,
        subject=locked,
        actor=by,
        verb="invoice_cancelled",
        message=message,
    )
    _mail(locked, template="billing/invoice_cancelled", context={"message": message})
    return locked
