from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = _("Planning")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from family.services.creation import enrolment_choices_provider_register

        from . import notifications, receivers, versions  # noqa: F401 -- connects the receivers
        from .services import creation_choices

        # Step 3 of family's creation form offers planning's activities (family never
        # imports planning).
        enrolment_choices_provider_register(creation_choices)
        # Every write the cached planning depends on raises a version counter.
        versions.connect()
        # « Mes demandes » and the digests list planning's requests.
        notifications.register()
