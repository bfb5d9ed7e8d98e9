from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsPagesConfig(AppConfig):
    name = "cms_pages"
    verbose_name = _("Contenus")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.branding import branding_provider_register

        from .services import branding_for_emails

        branding_provider_register(branding_for_emails)

        from . import site_cache

        # The branding and menus every page draws are cached per site until an editor
        # saves what they are made of.
        site_cache.connect()
