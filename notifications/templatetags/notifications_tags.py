"""Template tags of notifications: the agents' « message to the family » form on any request's
back-office page, and the account's count of new messages."""

from django import template
from django.urls import reverse

from ..forms import RequestMessageForm
from ..registry import request_kind_for_model

register = template.Library()


@register.inclusion_tag("notifications/admin/includes/request_message.html", takes_context=True)
def request_message_form(context, subject):
    """The form an agent uses to write to the family about ``subject`` (any registered kind of
    request), posting back to this page."""
    kind = request_kind_for_model(type(subject))
    request = context.get("request")
    if kind is None or request is None:
        return {"action": ""}
    return {
        "action": reverse("notifications_admin:request_message", args=[kind.code, subject.pk]),
        "next": request.get_full_path(),
        "form": RequestMessageForm(),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def unread_total(context) -> int:
    """The account's new messages over all its requests here (0 when logged out)."""
    from ..selectors import account_requests, unread_counts

    request = context.get("request")
    scope = getattr(request, "scope", None)
    if scope is None or not request.user.is_authenticated:
        return 0
    rows = account_requests(account=request.user, families=scope.families)
    return sum(unread_counts(account=request.user, rows=rows).values())
