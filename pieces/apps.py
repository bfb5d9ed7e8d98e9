from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PiecesConfig(AppConfig):
    name = "pieces"
    verbose_name = _("Pièces justificatives")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import hooks, notifications

        # « Mes demandes » and the digests list the family's documents.
        notifications.register()
        # The fiscal-data change request carries its supporting document (family.hooks).
        hooks.register()
