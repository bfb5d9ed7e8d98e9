"""allauth's adapter (``ACCOUNT_ADAPTER``): every e-mail allauth writes goes through the outbox.

allauth names an e-mail by a prefix (``account/email/password_reset_key``); here it is rendered
by ``email_render`` like every other e-mail of the product, from
``templates/account/email/<name>.subject.txt|.txt|.html`` inside the shared layout, with the
collectivity of the request (name, logo, colour, sender address) and the e-mail's main link
(activation, new password, log-in page, sign-up) as the layout's button. The links stay
absolute on the host of the request, as allauth builds them.

It lives in ``notifications`` and not in ``portal``: ``portal`` may not import ``notifications``
(DESIGN.md, dependency direction).
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context

from .emails import email_render
from .services import email_queue_rendered

# The context variable holding each e-mail's main link (the layout's button).
LINK_OF_EMAIL = {
    "email_confirmation_signup": "activate_url",
    "email_confirmation": "activate_url",
    "password_reset_key": "password_reset_url",
    "account_already_exists": "login_url",
    "unknown_account": "signup_url",
}


class AccountAdapter(DefaultAccountAdapter):
    def _current_request(self):
        return allauth_context.request or self.request

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The per-account lock-out of failed log-ins, keyed on the normalised e-mail and the
        collectivity — not on the raw Host header, whose port, case or trailing dot an attacker
        chooses (allauth keys it on ``get_current_site(request).domain``, here the raw host)."""
        login = credentials.get("email") or credentials.get("username") or ""
        collectivity = getattr(request, "collectivity", None)
        where = collectivity.pk if collectivity is not None else "-"
        return f"collectivity-{where}:{login.strip().lower()}"

    def format_email_subject(self, subject: str) -> str:
        """Unchanged: ``email_render`` adds the ``[Collectivité]`` prefix, once."""
        return subject

    def send_mail(self, template_prefix: str, email, context: dict) -> None:
        """Render the e-mail in the shared layout and queue it in the outbox (never send it
        here: it leaves after the transaction commits)."""
        request = self._current_request()
        collectivity = getattr(request, "collectivity", None)
        app, _sep, name = template_prefix.partition("/email/")
        ctx = {
            "request": request,
            "email": email,
            "expire_days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
            "login_url": request.build_absolute_uri(reverse("account_login"))
            if request is not None
            else "",
            **context,
        }
        rendered = email_render(
            template=f"{app}/{name}",
            context=ctx,
            collectivity=collectivity,
            link=ctx.get(LINK_OF_EMAIL.get(name, ""), ""),
        )
        to = [email] if isinstance(email, str) else list(email)
        with transaction.atomic():
            email_queue_rendered(rendered=rendered, to=to, collectivity=collectivity)


__all__ = ["AccountAdapter", "LINK_OF_EMAIL"]
