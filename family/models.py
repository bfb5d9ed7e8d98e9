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
    # NULL (not "") when revoked, so the per-collectivity unique constraint ignores it.
    subscriber_code = models.CharField(  # noqa: DJ001
        _("code abonné"),
        max_length=20,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Transmis par courrier ; relie un compte citoyen à la famille."),
    )
    code_generated_at = models.DateTimeField(_("code généré le"), null=True, editable=False)
    external_ref = models.CharField(
        _("référence dans le logiciel précédent"), max_length=60, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "collectivity"
    family_lookup = ""

    objects = TenantManager()

    class Meta:
        verbose_name = _("famille")
        verbose_name_plural = _("familles")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivity", "subscriber_code"], name="unique_code_per_collectivity"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def masked_name(self) -> str:
        """What a parent sees before confirming a subscription: "Famille D•••••"."""
        name = self.name.strip()
        return f"Famille {name[:1].upper()}{'•' * max(len(name) - 1, 5)}"


class Person(models.Model):
    civility = models.CharField(
        _("civilité"),
        max_length=3,
        choices=[("mme", _("Madame")), ("m", _("Monsieur"))],
        blank=True,
    )
    last_name = models.CharField(_("nom"), max_length=100)
    first_name = models.CharField(_("prénom"), max_length=100)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)

    collectivity_lookup = "family__collectivity"
    family_lookup = "family"

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class Guardian(Person):
    """A "responsable" of the family (1 or 2); one of them pays."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="guardians")
    rank = models.PositiveSmallIntegerField(_("responsable n°"), default=1)
    email = models.EmailField(_("e-mail"), blank=True)
    phone_mobile = models.CharField(_("téléphone portable"), max_length=30, blank=True)
    phone_home = models.CharField(_("téléphone fixe"), max_length=30, blank=True)
    phone_work = models.CharField(_("téléphone professionnel"), max_length=30, blank=True)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    address_complement = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    occupation = models.CharField(_("profession"), max_length=100, blank=True)
    employer = models.CharField(_("employeur"), max_length=150, blank=True)
    is_payer = models.BooleanField(_("responsable payeur"), default=False)

    objects = TenantManager()

    class Meta:
        verbose_name = _("responsable")
        verbose_name_plural = _("responsables")
        ordering = ["family", "rank", "pk"]


class Child(Person):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Fille")
        MALE = "M", _("Garçon")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="children")
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, blank=True)
    school = models.CharField(_("école"), max_length=150, blank=True)
    school_class = models.CharField(_("classe"), max_length=50, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("enfant")
        verbose_name_plural = _("enfants")
        ordering = ["family", "birth_date", "first_name", "pk"]


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


class CodeAttempt(models.Model):
    """Every look-up of a subscriber code, successful or not (audit and throttling)."""

    collectivity = models.ForeignKey(Collectivity, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True)
    code_hint = models.CharField(
        _("code saisi (masqué)"), max_length=20, help_text=_("Les 3 premiers caractères.")
    )
    family = models.ForeignKey(Family, null=True, on_delete=models.SET_NULL, related_name="+")
    success = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    collectivity_lookup = "collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("recherche de code abonné")
        verbose_name_plural = _("recherches de code abonné")
        indexes = [models.Index(fields=["collectivity", "created_at"])]

    def __str__(self):
        return f"{self.code_hint}… ({'ok' if self.success else 'échec'})"


class PendingSignupCode(models.Model):
    """A code given at sign-up, applied when the account's e-mail is confirmed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    collectivity = models.ForeignKey(Collectivity, on_delete=models.CASCADE, related_name="+")
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "collectivity"], name="one_pending_code")
        ]

    def __str__(self):
        return f"{self.user} → {self.family}"
