"""« Relances » (``/admin/facturation/relances/``): the collectivity's overdue invoices with
their last reminder level, days overdue and balance, filtered by level; « Imprimer les lettres
de relance » gives one PDF of the letters (one page per invoice) for the families reminded by
post. Every row comes through ``request.scope.agent``."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from planning.admin.common import admin_page
from portal.views_helpers import queue_filters

from .. import selectors
from ..forms.admin import ReminderFilterForm
from ..models import Invoice, InvoiceReminder
from ..pdf import reminder_letters_pdf

PAGE_SIZE = 50
LETTERS_MAX = 300  # letters in one PDF (the rest in the next part, ``?partie=2``)


def _overdue(request):
    """(form, today, invoices, counts per level) for the page and the letters."""
    today = timezone.localdate()
    rows = selectors.overdue_invoices(request.scope.agent(Invoice), today=today)
    counts = selectors.overdue_level_counts(rows)
    levels = max([len(request.collectivity.reminder_days), *counts.keys()])
    form = ReminderFilterForm(request.GET or None, levels=levels)
    if form.is_bound and form.is_valid() and form.cleaned_data["niveau"] is not None:
        rows = rows.filter(last_level=form.cleaned_data["niveau"])
    return form, today, rows, counts


@require_GET
def reminders(request):
    form, today, rows, counts = _overdue(request)
    delays = request.collectivity.reminder_days
    page = Paginator(rows.order_by("due_date", "pk"), PAGE_SIZE).get_page(request.GET.get("p"))
    for invoice in page.object_list:
        invoice.days_overdue = (today - invoice.due_date).days
        invoice.level_due = selectors.reminder_level(
            due_date=invoice.due_date, today=today, delays=delays
        )
    letters = rows.filter(last_channel=InvoiceReminder.Channel.LETTER).count()
    response = admin_page(
        request,
        "billing/admin/reminders.html",
        page_title=_("Relances"),
        header_icon="mail",
        form=form,
        page=page,
        today=today,
        counts=[(level, counts.get(level, 0)) for level in form.levels],
        delays=_days_text(delays),
        letters=letters,
        letter_parts=range(1, (letters + LETTERS_MAX - 1) // LETTERS_MAX + 1),
        filter_query=queue_filters(request),
        http_status=400 if form.errors else 200,
    )
    add_never_cache_headers(response)
    return response


def _days_text(delays: list[int]) -> str:
    """« 15 », « 15 et 30 », « 10, 20 et 45 »."""
    words = [str(days) for days in delays]
    if len(words) < 2:
        return "".join(words)
    return _("%(first)s et %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


@require_GET
def reminder_letters(request):
    """The letters of the overdue invoices (of the level filtered) whose last reminder went by
    post, one page each, ``LETTERS_MAX`` a file (``?partie=N``)."""
    form, today, rows, _counts = _overdue(request)
    rows = rows.filter(last_channel=InvoiceReminder.Channel.LETTER).order_by(
        "family__name", "due_date", "pk"
    )
    part = request.GET.get("partie", "1")
    part = int(part) if part.isdigit() and int(part) > 0 else 1
    invoices = list(rows[(part - 1) * LETTERS_MAX : part * LETTERS_MAX])
    if not invoices:
        response = admin_page(
            request,
            "billing/admin/reminders_none.html",
            page_title=_("Lettres de relance"),
            header_icon="mail",
            http_status=404,
        )
        return response
    pdf = reminder_letters_pdf(invoices, collectivity=request.collectivity, today=today)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="lettres-de-relance-{today:%Y-%m-%d}-{part}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response
