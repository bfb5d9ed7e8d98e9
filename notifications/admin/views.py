"""« E-mails »: this collectivity's outbox, for its agents (every row through
``request.scope.agent``), and the resend of a failed e-mail."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.views_helpers import run_action

from ..models import OutboxEmail
from ..services import OutboxError, outbox_resend

PAGE_SIZE = 50
Status = OutboxEmail.Status


def emails(request):
    """This collectivity's e-mails, newest first, filtered by status (``?statut=``)."""
    status = request.GET.get("statut", "")
    if status not in Status.values:
        status = ""
    rows = request.scope.agent(OutboxEmail).order_by("-created_at", "-pk")
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("p"))
    return render(
        request,
        "notifications/admin/emails.html",
        {
            "page_title": _("E-mails"),
            "header_icon": "mail",
            "page": page,
            "status": status,
            "statuses": [("", _("Tous les états")), *Status.choices],
        },
    )


def _email(request, pk: int) -> OutboxEmail:
    return get_object_or_404(request.scope.agent(OutboxEmail), pk=pk)


def email_detail(request, pk: int):
    email = _email(request, pk)
    return render(
        request,
        "notifications/admin/email_detail.html",
        {
            "page_title": _("E-mails"),
            "page_subtitle": email.subject,
            "header_icon": "mail",
            "email": email,
            "can_resend": email.status == Status.FAILED,
        },
    )


@require_http_methods(["POST"])
def email_resend(request, pk: int):
    email = _email(request, pk)
    detail_url = reverse("notifications_admin:email_detail", args=[email.pk])
    return run_action(
        request,
        lambda: outbox_resend(email=email, agent=request.user),
        errors=OutboxError,
        error_url=detail_url,
        done=_("E-mail remis dans la file d'envoi : « %(subject)s ».") % {"subject": email.subject},
        done_url=detail_url,
    )
