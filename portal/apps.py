from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .cms_access import host_collection_policies_register

        host_collection_policies_register()
