"""Direct debit in the back office (``/admin/facturation/prelevements/`` and the family's
account): a family's mandate (create from its dossier's bank details, revoke), the debit dates
with invoices to collect per régie, « Générer le fichier de prélèvement », a batch's page and
its file, and a rejet on one of its debits.

Every row comes through ``request.scope.agent``: another collectivity's family, mandate, batch
or debit answers 404.
"""

import datetime

from django.contrib import messages
from django.db.models import Count, F, Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from family.models import BankDetails, Family
from planning.admin.common import admin_page
from portal.formats import date_long, euros

from ..forms.direct_debit import BatchForm, MandateForm, RejectForm
from ..models import DirectDebitBatch, DirectDebitItem, Invoice, Mandate, Regie, iban_masked
from ..services.direct_debit import (
    DirectDebitError,
    batch_generate,
    collectable_invoices,
    debit_reject,
    mandate_create,
    mandate_revoke,
)

BATCHES_SHOWN = 50


# --- mandates -------------------------------------------------------------------------------


def _family(request, pk: int) -> Family:
    return get_object_or_404(request.scope.agent(Family).select_related("collectivity"), pk=pk)


def _mandate_page(request, family, form, *, error="", status=200):
    details = request.scope.agent(BankDetails).filter(family=family).first()
    return admin_page(
        request,
        "billing/admin/mandate_form.html",
        page_title=_("Créer un mandat de prélèvement"),
        page_subtitle=family.name,
        header_icon="form",
        family=family,
        form=form,
        details=details,
        details_iban=iban_masked(details.iban) if details else "",
        error=error,
        statement_url=reverse("billing_admin:statement", args=[family.pk]),
        http_status=status,
    )


@require_http_methods(["GET", "POST"])
def mandate_add(request, pk: int):
    """A mandate on the bank details of the family's dossier; the RUM is the server's."""
    family = _family(request, pk)
    regies = list(request.scope.agent(Regie).filter(is_active=True).order_by("code"))
    if request.method != "POST":
        return _mandate_page(request, family, MandateForm(regies=regies))
    form = MandateForm(request.POST, regies=regies)
    if not form.is_valid():
        return _mandate_page(request, family, form, status=400)
    try:
        mandate = mandate_create(
            regie=form.cleaned_data["regie_obj"],
            family=family,
            signature_date=form.cleaned_data["signature_date"],
            by=request.user,
        )
    except DirectDebitError as error:
        return _mandate_page(request, family, form, error=error.message, status=400)
    messages.success(
        request,
        _("Mandat %(rum)s créé : la famille %(name)s en est prévenue.")
        % {"rum": mandate.rum, "name": family.name},
    )
    return redirect(reverse("billing_admin:statement", args=[family.pk]))


@require_http_methods(["GET", "POST"])
def mandate_revoke_view(request, pk: int):
    """« Révoquer le mandat »: a confirmation (GET), then the revocation (POST)."""
    mandate = get_object_or_404(
        request.scope.agent(Mandate).select_related("regie", "family"), pk=pk
    )
    statement_url = reverse("billing_admin:statement", args=[mandate.family_id])
    error = ""
    if request.method == "POST":
        try:
            mandate_revoke(mandate=mandate, by=request.user)
        except DirectDebitError as refused:
            error = refused.message
        else:
            messages.success(
                request,
                _("Mandat %(rum)s révoqué : la famille en est prévenue.") % {"rum": mandate.rum},
            )
            return redirect(statement_url)
    return admin_page(
        request,
        "billing/admin/mandate_revoke.html",
        page_title=_("Révoquer le mandat %(rum)s") % {"rum": mandate.rum},
        page_subtitle=mandate.family.name,
        header_icon="warning",
        mandate=mandate,
        error=error,
        statement_url=statement_url,
        http_status=400 if error else 200,
    )


# --- batches --------------------------------------------------------------------------------


def _to_collect(request):
    """Per régie and debit date: how many invoices are left to collect and how much (one
    query whatever the number of invoices)."""
    regies = {regie.pk: regie for regie in request.scope.agent(Regie).order_by("code")}
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    rows = (
        collectable_invoices(request.scope.agent(Invoice))
        .values("regie_id", "direct_debit_date")
        .annotate(count=Count("pk"), amount=Sum(F("total") - F("paid")))
        .order_by("direct_debit_date", "regie_id")
    )
    groups = []
    for row in rows:
        regie = regies[row["regie_id"]]
        groups.append(
            {
                "regie": regie,
                "date": row["direct_debit_date"],
                "count": row["count"],
                "amount": row["amount"],
                "ready": bool(regie.creditor_identifier and regie.creditor_iban),
                "form": BatchForm(
                    initial={
                        "regie": regie.pk,
                        "debit_date": row["direct_debit_date"],
                        "collection_date": max(row["direct_debit_date"], tomorrow),
                    },
                    prefix=f"lot-{regie.pk}-{row['direct_debit_date']:%Y%m%d}",
                ),
            }
        )
    return groups


def _batches_page(request, *, error="", status=200):
    batches = list(
        request.scope.agent(DirectDebitBatch)
        .select_related("regie", "created_by")
        .order_by("-created_at", "-pk")[:BATCHES_SHOWN]
    )
    response = admin_page(
        request,
        "billing/admin/debit_batches.html",
        page_title=_("Prélèvements"),
        header_icon="download",
        groups=_to_collect(request),
        batches=batches,
        error=error,
        http_status=status,
    )
    add_never_cache_headers(response)
    return response


@require_GET
def batches(request):
    return _batches_page(request)


@require_POST
def batch_add(request):
    """« Générer le fichier de prélèvement »: the form's prefix names its row."""
    prefix = request.POST.get("lot", "")
    form = BatchForm(request.POST, prefix=prefix or None)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return _batches_page(request, error=errors, status=400)
    regie = get_object_or_404(request.scope.agent(Regie), pk=form.cleaned_data["regie"])
    try:
        batch = batch_generate(
            regie=regie,
            debit_date=form.cleaned_data["debit_date"],
            collection_date=form.cleaned_data["collection_date"],
            by=request.user,
        )
    except DirectDebitError as refused:
        return _batches_page(request, error=refused.message, status=400)
    messages.success(
        request,
        _(
            "Fichier de prélèvement du %(date)s généré : %(count)s prélèvement(s), %(total)s. "
            "Téléchargez-le pour la banque."
        )
        % {
            "date": date_long(batch.collection_date),
            "count": batch.count,
            "total": euros(batch.total),
        },
    )
    return redirect(reverse("billing_admin:debit_batch", args=[batch.pk]))


def _batch(request, pk: int) -> DirectDebitBatch:
    return get_object_or_404(
        request.scope.agent(DirectDebitBatch).select_related("regie", "created_by"), pk=pk
    )


@require_GET
def batch_detail(request, pk: int):
    batch = _batch(request, pk)
    items = list(
        batch.items.select_related("invoice", "invoice__family", "mandate", "payment", "reversal")
    )
    return admin_page(
        request,
        "billing/admin/debit_batch.html",
        page_title=_("Prélèvement du %(date)s") % {"date": date_long(batch.collection_date)},
        page_subtitle=batch.regie.name,
        header_icon="download",
        batch=batch,
        items=items,
    )


@require_GET
def batch_file(request, pk: int):
    """The stored pain.008 file, as an attachment, to this collectivity's agents only."""
    batch = _batch(request, pk)
    if not batch.file:
        raise Http404(_("Le fichier de ce lot n’est pas disponible."))
    response = FileResponse(
        batch.file.open("rb"),
        as_attachment=True,
        filename=batch.filename,
        content_type="application/xml",
    )
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def item_reject(request, pk: int):
    """« Enregistrer un rejet » on one debit of a batch."""
    item = get_object_or_404(
        request.scope.agent(DirectDebitItem).select_related(
            "batch__regie", "invoice__family", "mandate", "payment", "reversal"
        ),
        pk=pk,
    )
    batch_url = reverse("billing_admin:debit_batch", args=[item.batch_id])
    form = RejectForm(
        request.POST if request.method == "POST" else None,
        collection_date=item.batch.collection_date,
    )
    error, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                debit_reject(
                    item=item,
                    date=form.cleaned_data["date"],
                    reason_code=form.cleaned_data["reason_code"],
                    by=request.user,
                )
            except DirectDebitError as refused:
                error = refused.message
            else:
                messages.success(
                    request,
                    _(
                        "Rejet enregistré : la facture %(number)s est de nouveau à payer et la "
                        "famille en est prévenue."
                    )
                    % {"number": item.invoice.number},
                )
                return redirect(batch_url)
        status = 400
    return admin_page(
        request,
        "billing/admin/debit_reject.html",
        page_title=_("Enregistrer un rejet"),
        page_subtitle=_("Facture %(number)s") % {"number": item.invoice.number},
        header_icon="warning",
        item=item,
        form=form,
        error=error,
        batch_url=batch_url,
        http_status=status,
    )
