"""« Attestations fiscales » (``/admin/facturation/attestations/``): the tax certificates of a
year (``?annee=``), « Générer les attestations » (the same service as the January schedule,
idempotent) and « Imprimer » (one PDF of the year's certificates, one page each). Every row
comes through ``request.scope.agent``."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from django_q.tasks import async_task

from planning.admin.common import admin_page

from ..forms.admin import CertificateYearForm
from ..models import TaxCertificate
from ..pdf import tax_certificates_pdf
from ..services.certificates import FIRST_YEAR, certificates_missing_count

PAGE_SIZE = 50
PRINT_MAX = 300  # certificates in one PDF (the rest in the next part, ``?partie=2``)


def _years() -> list[int]:
    last = timezone.localdate().year - 1
    return list(range(last, max(FIRST_YEAR, last - 9) - 1, -1))


def _year_form(data):
    years = _years()
    form = CertificateYearForm(data or {"annee": str(years[0])}, years=years)
    return form, (form.cleaned_data["annee"] if form.is_valid() else None)


def _certificates(request, year):
    return (
        request.scope.agent(TaxCertificate)
        .filter(year=year)
        .select_related("family", "child")
        .order_by("family__name", "child__birth_date", "pk")
    )


@require_GET
def certificates(request):
    form, year = _year_form(request.GET)
    rows = _certificates(request, year) if year else request.scope.agent(TaxCertificate).none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("p"))
    count = page.paginator.count
    response = admin_page(
        request,
        "billing/admin/certificates.html",
        page_title=_("Attestations fiscales"),
        header_icon="doc-full-inverse",
        form=form,
        year=year,
        page=page,
        parts=range(1, (count + PRINT_MAX - 1) // PRINT_MAX + 1),
        http_status=200 if year else 400,
    )
    add_never_cache_headers(response)
    return response


@require_POST
def certificates_generate(request):
    """« Générer les attestations de l’année »: the missing ones only."""
    form, year = _year_form(request.POST)
    if year is None:
        messages.error(request, _("Choisissez une année terminée de la liste."))
        return redirect(reverse("billing_admin:certificates"))
    request.scope.agent(TaxCertificate)  # agents only, before anything is started
    missing = certificates_missing_count(collectivity=request.collectivity, year=year)
    if not missing:
        messages.info(
            request,
            _("Aucune nouvelle attestation pour %(year)s : elles sont toutes déjà faites.")
            % {"year": year},
        )
    else:
        # In the task cluster: hundreds of PDFs do not fit in a web request. The service
        # makes only the missing ones, so a second click (or the January schedule) while
        # it runs makes nothing twice.
        async_task(
            "billing.tasks.tax_certificates_generate_for",
            request.collectivity.pk,
            year,
            request.user.pk,
        )
        messages.success(
            request,
            _(
                "Génération de %(count)s attestation(s) de %(year)s lancée : elles s’ajoutent "
                "à la liste au fur et à mesure (rechargez la page)."
            )
            % {"count": missing, "year": year},
        )
    return redirect(reverse("billing_admin:certificates") + f"?annee={year}")


@require_GET
def certificates_print(request):
    """One PDF of the year's certificates (``PRINT_MAX`` a file, ``?partie=N``)."""
    form, year = _year_form(request.GET)
    part = request.GET.get("partie", "1")
    part = int(part) if part.isdigit() and int(part) > 0 else 1
    rows = (
        list(_certificates(request, year)[(part - 1) * PRINT_MAX : part * PRINT_MAX])
        if year
        else []
    )
    if not rows:
        return admin_page(
            request,
            "billing/admin/certificates_none.html",
            page_title=_("Attestations fiscales"),
            header_icon="doc-full-inverse",
            year=year,
            http_status=404,
        )
    pdf = tax_certificates_pdf(rows, collectivity=request.collectivity)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attestations-{year}-{part}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response
