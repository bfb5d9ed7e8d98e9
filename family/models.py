from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Collectivity
from portal.scoping import TenantManager


class Family(models.Model):
    """A family's record ("dossier famille") in one collectivity."""

    collectivity = models.ForeignKey(
        Collectivity, on_delete=models.PROTECT, related_name="families"
    )
    name = models.CharField(_("nom de la famille"), max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "collectivity"
    family_lookup = ""

    objects = TenantManager()

    class Meta:
        verbose_name = _("famille")
        verbose_name_plural = _("familles")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name


class Subscription(models.Model):
    """An account's link to a family ("abonnement"): active as soon as it exists."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="subscriptions")
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "family__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")
        constraints = [
            models.UniqueConstraint(fields=["user", "family"], name="unique_subscription")
        ]

    def __str__(self):
        return f"{self.user} → {self.family}"
