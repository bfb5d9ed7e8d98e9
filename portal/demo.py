"""The demo: each app contributes a loader, run in order by ``manage.py demo_load``.

Loaders are named in ``settings.PORTAL_DEMO_LOADERS`` (portal must not import the domain apps)
and receive a ``DemoContext``. Every loader is idempotent: running the demo twice leaves the
same data.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

DEMO_PASSWORD = "Portail-Demo-2026"  # noqa: S105 -- printed by make demo on purpose


@dataclass
class DemoContext:
    port: int
    collectivities: dict = field(default_factory=dict)  # key -> Collectivity
    logins: list = field(default_factory=list)  # (role, collectivity name or "", e-mail)
    notes: list = field(default_factory=list)  # extra lines printed at the end

    def user(self, email: str, *, first_name="", last_name="", civility="", **extra):
        """Create (or reset) a demo account, e-mail verified so it can log in at once."""
        from allauth.account.models import EmailAddress

        User = get_user_model()
        user, _created = User.objects.get_or_create(email=email)
        user.first_name, user.last_name, user.civility = first_name, last_name, civility
        for key, value in extra.items():
            setattr(user, key, value)
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def url(self, collectivity, path="/") -> str:
        hostname = collectivity.site.hostname
        return f"http://{hostname}:{self.port}{path}"
