"""A family's account in the back office: its statement (invoices, credit notes, payments and
the balance) and the record of a payment received at the counter or by post (cheque, cash,
CESU, chèques-vacances, transfer), allocated to the ticked invoices or oldest first.

The family comes through ``request.scope.agent(Family)``: another collectivity's family
answers 404; its invoices and payments through the same scope.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from family.models import Family
from planning.admin.common import admin_page
from portal.formats import euros

from .. import selectors
from ..forms.admin import PaymentForm
from ..models import Invoice, Mandate, Payment, Regie
from ..services import BillingError, payment_record


def _family(request, pk: int) -> Family:
    return get_object_or_404(request.scope.agent(Family).select_related("collectivity"), pk=pk)


@require_GET
def statement(request, pk: int):
    """« Compte de la famille »: every invoice, credit note and payment, in date order, with
    the running balance (a fixed number of queries)."""
    family = _family(request, pk)
    scope = request.scope
    account = selectors.family_statement(
        invoices=scope.agent(Invoice).filter(family=family),
        payments=scope.agent(Payment).filter(family=family),
    )
    mandates = list(
        scope.agent(Mandate)
        .filter(family=family)
        .select_related("regie", "revoked_by")
        .order_by("-created_at", "-pk")
    )
    return admin_page(
        request,
        "billing/admin/statement.html",
        page_title=_("Compte de la famille %(name)s") % {"name": family.name},
        header_icon="list-ul",
        family=family,
        active_mandates=[m for m in mandates if m.status == Mandate.Status.ACTIVE],
        # A régie still without this family's active mandate: another one may be created.
        can_add_mandate=scope.agent(Regie)
        .filter(is_active=True)
        .exclude(pk__in=[m.regie_id for m in mandates if m.status == Mandate.Status.ACTIVE])
        .exists(),
        revoked_mandates=[m for m in mandates if m.status == Mandate.Status.REVOKED],
        **account,
    )


def _payment_page(request, family, form, *, status=200):
    return admin_page(
        request,
        "billing/admin/payment_form.html",
        page_title=_("Enregistrer un règlement"),
        page_subtitle=family.name,
        header_icon="form",
        family=family,
        form=form,
        has_payable=bool(form.payable),
        statement_url=reverse("billing_admin:statement", args=[family.pk]),
        http_status=status,
    )


@require_http_methods(["GET", "POST"])
def payment_add(request, pk: int):
    """A manual payment. More than what is left to pay is refused with its reason (shown on
    the form, nothing recorded)."""
    family = _family(request, pk)
    scope = request.scope
    regies = list(scope.agent(Regie).filter(is_active=True).order_by("code"))
    payable = selectors.payable_invoices(scope.agent(Invoice).filter(family=family))
    if request.method != "POST":
        ticked = [v for v in request.GET.getlist("facture") if v.isdigit()]
        initial = {"invoices": [int(v) for v in ticked]}
        chosen = [invoice for invoice in payable if str(invoice.pk) in ticked]
        if chosen:
            initial["regie"] = chosen[0].regie_id
        form = PaymentForm(initial=initial, regies=regies, payable=payable)
        return _payment_page(request, family, form)
    form = PaymentForm(request.POST, regies=regies, payable=payable)
    if not form.is_valid():
        return _payment_page(request, family, form, status=400)
    data = form.cleaned_data
    try:
        payment = payment_record(
            regie=data["regie_obj"],
            family=family,
            kind=data["kind"],
            amount=data["amount"],
            date=data["date"],
            reference=data["reference"],
            invoice_ids=data["invoice_ids"],
            by=request.user,
        )
    except BillingError as error:
        form.add_error(None, _("Règlement refusé : %(error)s") % {"error": error.message})
        return _payment_page(request, family, form, status=400)
    messages.success(
        request,
        _("Règlement %(number)s de %(amount)s enregistré pour la famille %(name)s.")
        % {"number": payment.number, "amount": euros(payment.amount), "name": family.name},
    )
    return redirect(reverse("billing_admin:statement", args=[family.pk]))
