"""« E-mails »: this collectivity's outbox, for its agents (every row through
``request.scope.agent``), and the resend of a failed e-mail."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.views_helpers import run_action

from ..forms import RequestMessageForm
from ..models import OutboxEmail
from ..selectors import agent_request
from ..services import MessageError, OutboxError, outbox_resend, request_message_send

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
        done=_("E-mail remis dans la file d’envoi : « %(subject)s ».") % {"subject": email.subject},
        done_url=detail_url,
    )


def _back(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("wagtailadmin_home")


@require_http_methods(["POST"])
def request_message(request, kind: str, pk: int):
    """An agent writes to the family about one of its requests without deciding it."""
    found = agent_request(request.scope, code=kind, pk=pk)
    if found is None:
        raise Http404(_("Demande introuvable."))
    request_kind, subject = found
    form = RequestMessageForm(request.POST)
    back = _back(request)
    if not form.is_valid():
        messages.error(request, form.errors["message"][0])
        return redirect(back)
    return run_action(
        request,
        lambda: request_message_send(
            collectivity=request.scope.collectivity,
            kind=request_kind,
            subject=subject,
            agent=request.user,
            text=form.cleaned_data["message"],
        ),
        errors=MessageError,
        error_url=back,
        done=_("Message envoyé à la famille : elle le lira dans l’historique de la demande."),
        done_url=back,
    )
