"""Accounts: the throttle of the back office's log-in and the French rate-limit page.

allauth's adapter, which routes every allauth e-mail through the outbox, is
``notifications.accounts.AccountAdapter`` (``ACCOUNT_ADAPTER``): ``portal`` does not import
``notifications``.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from allauth.account.adapter import get_adapter

from .throttle import (
    address_subject,
    throttle_clear,
    throttle_rate,
    throttle_release,
    throttle_take,
)

ADMIN_LOGIN_ACTION = "admin_login"


# --- Back office log-in ---------------------------------------------------------------------


def _admin_login_subjects(request) -> tuple[str, str]:
    email = (request.POST.get("username") or "").strip().lower()
    try:
        address = get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # no usable address: every such request shares one count
        address = None
    return address_subject(address), f"email:{email}"


def admin_login(request, *args, **kwargs):
    """Wagtail's log-in view, refused after too many failures per address and per e-mail
    (``PORTAL_THROTTLES["admin_login"]``, 5 in 15 minutes). Each POST takes its slot before
    the password is checked, so parallel guesses cannot get past the limit; a success frees
    the address's and the e-mail's slots."""
    from wagtail.admin.views.account import LoginView

    view = LoginView.as_view()
    if request.method != "POST":
        return view(request, *args, **kwargs)
    rate = throttle_rate(ADMIN_LOGIN_ACTION)
    subjects = _admin_login_subjects(request)
    slots = throttle_take(ADMIN_LOGIN_ACTION, subjects=subjects, rate=rate)
    if slots is None:
        return render(
            request,
            "account/admin_login_throttled.html",
            {"retry_minutes": rate.period // 60},
            status=429,
        )
    response = view(request, *args, **kwargs)
    if request.user.is_authenticated:
        throttle_release(slots)
        throttle_clear(ADMIN_LOGIN_ACTION, subjects=subjects, rate=rate)
    return response


def ratelimited(request, exception=None):
    """``handler429``: allauth's rate limits answer with a French page."""
    return render(request, "account/429.html", status=429)


__all__ = ["admin_login", "ratelimited"]
