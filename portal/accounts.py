"""Accounts: allauth's adapter and the throttle of the back office's log-in.

Every e-mail allauth writes (activation, password reset, "an account already exists", ...)
goes through the transactional outbox (``notifications.services.email_queue``) with the
collectivity's name and sender address; links point at the host of the request.
"""

from django.conf import settings
from django.db import transaction
from django.shortcuts import render

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit

from notifications.services import email_queue

ADMIN_LOGIN_ACTION = "admin_login_failed"


def _request_collectivity(request):
    return getattr(request, "collectivity", None) if request is not None else None


class AccountAdapter(DefaultAccountAdapter):
    def _current_request(self):
        return allauth_context.request or self.request

    def get_from_email(self) -> str:
        collectivity = _request_collectivity(self._current_request())
        return collectivity.from_email if collectivity else settings.DEFAULT_FROM_EMAIL

    def format_email_subject(self, subject: str) -> str:
        collectivity = _request_collectivity(self._current_request())
        name = collectivity.name if collectivity else settings.WAGTAIL_SITE_NAME
        return f"[{name}] {subject}"

    def send_mail(self, template_prefix: str, email, context: dict) -> None:
        """Render the e-mail like allauth, then queue it in the outbox (never send it here)."""
        request = self._current_request()
        collectivity = _request_collectivity(request)
        ctx = {
            "request": request,
            "email": email,
            "collectivity": collectivity,
            "site_name": collectivity.name if collectivity else settings.WAGTAIL_SITE_NAME,
            "site_url": request.build_absolute_uri("/") if request is not None else "",
            "expire_days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
        }
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        body_html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                body_html = content
        body_text = message.body
        if getattr(message, "content_subtype", "plain") == "html":
            body_html, body_text = message.body, ""
        with transaction.atomic():
            email_queue(
                collectivity=collectivity,
                to=list(message.to),
                subject=message.subject,
                body_text=body_text,
                body_html=body_html,
            )


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


__all__ = ["AccountAdapter", "admin_login", "ratelimited"]
