"""Accounts: the throttle of the back office's log-in and the French rate-limit page.

allauth's adapter, which routes every allauth e-mail through the outbox, is
``notifications.accounts.AccountAdapter`` (``ACCOUNT_ADAPTER``): ``portal`` does not import
``notifications``.
"""

from django.shortcuts import render

from allauth.core import ratelimit

ADMIN_LOGIN_ACTION = "admin_login_failed"


# --- Back office log-in ---------------------------------------------------------------------


def admin_login(request, *args, **kwargs):
    """Wagtail's log-in view, refused after too many failures per address and per e-mail
    (``ACCOUNT_RATE_LIMITS["admin_login_failed"]``, 5 in 15 minutes)."""
    from wagtail.admin.views.account import LoginView

    view = LoginView.as_view()
    if request.method != "POST":
        return view(request, *args, **kwargs)
    email = (request.POST.get("username") or "").strip().lower()
    if not ratelimit.consume(request, action=ADMIN_LOGIN_ACTION, key=email, dry_run=True):
        return render(
            request,
            "account/admin_login_throttled.html",
            {"retry_minutes": 15},
            status=429,
        )
    response = view(request, *args, **kwargs)
    if request.user.is_authenticated:
        ratelimit.clear(request, action=ADMIN_LOGIN_ACTION, key=email)
    else:
        ratelimit.consume(request, action=ADMIN_LOGIN_ACTION, key=email)
    return response


def ratelimited(request, exception=None):
    """``handler429``: allauth's rate limits answer with a French page."""
    return render(request, "account/429.html", status=429)


__all__ = ["admin_login", "ratelimited"]
