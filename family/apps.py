from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilyConfig(AppConfig):
    name = "family"
    verbose_name = _("Familles")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.scoping import families_resolver_register

        from . import notifications, signals  # noqa: F401 -- connects the receivers
        from .selectors import families_for_user

        families_resolver_register(families_for_user)
        # « Mes demandes » and the digests list family's requests; its accounts read them.
        notifications.register()
