"""Payments: numbered, allocated to one or several invoices (oldest first unless the agent
chooses), each invoice's paid amount and status updated under its row lock."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from notifications.services import event_record
from portal.formats import euros, money_round

from ..models import ZERO, Invoice, NumberCounter, Payment, PaymentAllocation
from .invoices import BillingError, _mail, invoice_status
from .numbering import number_next

Status = Invoice.Status


def _payable(family, regie, invoice_ids):
    invoices = Invoice.objects.select_for_update(of=("self",)).filter(
        family=family, regie=regie, status__in=[Status.TO_PAY, Status.PARTIAL]
    )
    if invoice_ids is not None:
        invoices = invoices.filter(pk__in=list(invoice_ids))
    invoices = list(invoices.order_by("due_date", "issue_date", "pk"))
    if invoice_ids is not None:
        order = {pk: index for index, pk in enumerate(invoice_ids)}
        if len(invoices) != len(order):
            raise BillingError(_("Une des factures choisies n’est pas à payer pour cette famille."))
        invoices.sort(key=lambda invoice: order[invoice.pk])
    return invoices


@transaction.atomic
def payment_record(
    *,
    regie,
    family,
    kind: str,
    amount,
    date: datetime.date,
    reference: str = "",
    invoice_ids=None,
    by=None,
    notify: bool = True,
) -> Payment:
    """Record a payment of ``amount`` and allocate it to the family's invoices of this régie
    (``invoice_ids`` in that order, else oldest due first). More than what is left to pay is
    refused: nothing is recorded."""
    if kind not in Payment.Kind.values:
        raise BillingError(_("Type de règlement inconnu."))
    amount = money_round(amount)
    if amount <= 0:
        raise BillingError(_("Le montant du règlement doit être positif."))
    invoices = _payable(family, regie, invoice_ids)
    due = sum((invoice.total - invoice.paid for invoice in invoices), ZERO)
    if amount > due:
        raise BillingError(
            _("Le montant (%(amount)s) dépasse le reste à payer des factures (%(due)s).")
            % {"amount": euros(amount), "due": euros(due)}
        )
    payment = Payment.objects.create(
        regie=regie,
        family=family,
        number=number_next(regie=regie, kind=NumberCounter.Kind.PAYMENT, year=date.year),
        kind=kind,
        date=date,
        amount=amount,
        reference=reference[:100],
        recorded_by=by,
    )
    left: Decimal = amount
    allocations = []
    for invoice in invoices:
        if left <= 0:
            break
        part = min(left, invoice.total - invoice.paid)
        if part <= 0:
            continue
        invoice.paid += part
        invoice.status = invoice_status(invoice.total, invoice.paid)
        invoice.save(update_fields=["paid", "status"])
        allocations.append(PaymentAllocation(payment=payment, invoice=invoice, amount=part))
        left -= part
    PaymentAllocation.objects.bulk_create(allocations)
    message = _("Règlement %(number)s (%(kind)s) de %(amount)s enregistré : %(invoices)s.") % {
        "number": payment.number,
        "kind": payment.get_kind_display().lower(),
        "amount": euros(amount),
        "invoices": ", ".join(a.invoice.number for a in allocations),
    }
    event_record(
        collectivity=family.collectivity,
        family_id=family.pk,
        subject=payment,
        actor=by,
        verb="payment_recorded",
        message=message,
    )
    if notify and allocations:
        _mail(
            allocations[0].invoice,
            template="billing/payment_recorded",
            context={"message": message, "payment": payment},
        )
    return payment
