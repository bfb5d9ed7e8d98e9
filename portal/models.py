import datetime
import re

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from .modules import MODULE_FIELDS, Module, enabled_modules


def digest_times_parse(value: str) -> list[datetime.time]:
    """« 13:00 18:00 » (or « 13h 18h30 », commas allowed) → sorted distinct times; raises
    ValidationError with a French message on anything else."""
    times = set()
    for token in (value or "").replace(",", " ").replace(";", " ").split():
        match = re.fullmatch(r"([01]?\d|2[0-3])(?:[:hH]([0-5]\d)?)?", token)
        if not match:
            raise ValidationError(
                _("« %(token)s » n’est pas une heure (écrivez par exemple 13:00)."),
                params={"token": token},
                code="invalid",
            )
        times.add(datetime.time(int(match.group(1)), int(match.group(2) or 0)))
    if not times:
        raise ValidationError(_("Indiquez au moins une heure."), code="required")
    return sorted(times)


def digest_times_validate(value: str) -> None:
    digest_times_parse(value)


REMINDER_DELAY_MAX = 365  # days after the due date
REMINDER_LEVELS_MAX = 5


def reminder_delays_parse(value: str) -> list[int]:
    """« 15 30 » (commas or semicolons allowed) → the delays in days after the due date, one
    per reminder level, sorted; empty: no reminders. Raises ValidationError with a French
    message on anything else (not a whole number, 0, over a year, twice the same delay, more
    than five levels)."""
    delays = []
    for token in (value or "").replace(",", " ").replace(";", " ").split():
        if not re.fullmatch(r"\d{1,3}", token) or not 1 <= int(token) <= REMINDER_DELAY_MAX:
            raise ValidationError(
                _(
                    "« %(token)s » n’est pas un nombre de jours entre 1 et 365 "
                    "(écrivez par exemple 15 30)."
                ),
                params={"token": token},
                code="invalid",
            )
        if int(token) in delays:
            raise ValidationError(
                _("Le délai de %(days)s jours est indiqué deux fois."),
                params={"days": int(token)},
                code="duplicate",
            )
        delays.append(int(token))
    if len(delays) > REMINDER_LEVELS_MAX:
        raise ValidationError(
            _("Indiquez au plus %(max)s délais de relance."),
            params={"max": REMINDER_LEVELS_MAX},
            code="too_many",
        )
    return sorted(delays)


def reminder_delays_validate(value: str) -> None:
    reminder_delays_parse(value)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A citizen account, global to the deployment: one e-mail, one person."""

    class Civility(models.TextChoices):
        MADAME = "mme", _("Madame")
        MONSIEUR = "m", _("Monsieur")

    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    civility = models.CharField(_("civilité"), max_length=3, choices=Civility.choices, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def reminder_days(self) -> list[int]:
        """The delays of the reminder levels, in days after the due date (level 1 first)."""
        return reminder_delays_parse(self.reminder_delays)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


@register_setting(icon="home")
class Collectivity(BaseSiteSetting):
    """The tenant: one collectivity per Wagtail site (host name).

    Its record lives in portal; editors change it per site in Wagtail's settings.
    """

    class SchoolZone(models.TextChoices):
        A = "A", _("Zone A")
        B = "B", _("Zone B")
        C = "C", _("Zone C")

    name = models.CharField(_("nom"), max_length=150)
    slug = models.SlugField(_("identifiant"), max_length=60, unique=True, editable=False)
    contact_email = models.EmailField(_("e-mail de contact"), blank=True)
    contact_phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    address = models.TextField(_("adresse postale"), blank=True)
    sender_email = models.EmailField(
        _("adresse d’expédition des e-mails"),
        blank=True,
        help_text=_("Adresse « De : » des e-mails envoyés aux familles."),
    )
    school_zone = models.CharField(
        _("zone de vacances scolaires"), max_length=1, choices=SchoolZone.choices, default="B"
    )
    name_with_article = models.CharField(
        _("nom précédé de son article"),
        max_length=180,
        blank=True,
        help_text=_(
            "Tel qu’il se lit dans une phrase, par exemple « la Ville de Beaulieu-sur-Loire ». "
            "Vide : le nom seul."
        ),
    )
    digest_times = models.CharField(
        _("heures des récapitulatifs"),
        max_length=120,
        default="13:00 18:00",
        validators=[digest_times_validate],
        help_text=_(
            "Heures d’envoi des récapitulatifs des décisions, séparées par des espaces "
            "(par exemple « 13:00 18:00 »). Chaque récapitulatif rassemble les décisions prises "
            "depuis le précédent."
        ),
    )
    reminder_delays = models.CharField(
        _("délais des relances"),
        max_length=60,
        default="15 30",
        blank=True,
        validators=[reminder_delays_validate],
        help_text=_(
            "Nombre de jours après la date d’échéance d’une facture impayée auquel part chaque "
            "relance, séparés par des espaces (par exemple « 15 30 » : une première relance "
            "15 jours après l’échéance, une deuxième à 30 jours). Vide : aucune relance."
        ),
    )
    module_planning = models.BooleanField(_("planning et réservations"), default=True)
    module_enrolment = models.BooleanField(_("pré-inscriptions"), default=True)
    module_billing = models.BooleanField(_("facturation"), default=True)
    module_online_payment = models.BooleanField(_("paiement en ligne"), default=False)
    module_documents = models.BooleanField(_("pièces justificatives"), default=False)
    agents_group = models.OneToOneField(
        "auth.Group", null=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    editors_group = models.OneToOneField(
        "auth.Group", null=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    collection = models.OneToOneField(
        "wagtailcore.Collection",
        null=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parents_may_edit_fiscal_data = models.BooleanField(
        _("les familles peuvent modifier leurs données fiscales"),
        default=False,
        help_text=_(
            "Par défaut, les données fiscales sont en lecture seule : les familles s’adressent "
            "à la collectivité avec leurs pièces justificatives."
        ),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldPanel("name_with_article"),
                FieldPanel("contact_email"),
                FieldPanel("contact_phone"),
                FieldPanel("address"),
                FieldPanel("sender_email"),
                FieldPanel("school_zone"),
            ],
            heading=_("Collectivité"),
        ),
        MultiFieldPanel(
            [FieldPanel("digest_times")],
            heading=_("Récapitulatifs des décisions"),
        ),
        MultiFieldPanel(
            [FieldPanel("reminder_delays")],
            heading=_("Relances des factures impayées"),
        ),
        MultiFieldPanel(
            [FieldPanel(field) for field in MODULE_FIELDS.values()],
            heading=_("Modules complémentaires"),
        ),
        FieldPanel("parents_may_edit_fiscal_data"),
    ]

    class Meta:
        verbose_name = _("collectivité")
        verbose_name_plural = _("collectivités")

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.module_online_payment and not self.module_billing:
            raise ValidationError(
                {
                    "module_online_payment": _(
                        "Le paiement en ligne nécessite le module facturation."
                    )
                }
            )

    @property
    def digest_hours(self) -> list[datetime.time]:
        """The local times of the decision digests, sorted (at least one)."""
        return digest_times_parse(self.digest_times)

    @property
    def reminder_days(self) -> list[int]:
        """The delays of the reminder levels, in days after the due date (level 1 first)."""
        return reminder_delays_parse(self.reminder_delays)

    @property
    def display_name(self) -> str:
        """The name as a sentence reads it: « la Ville de Beaulieu-sur-Loire »."""
        return self.name_with_article or self.name

    @cached_property
    def modules(self) -> dict[str, bool]:
        return enabled_modules(self)

    @property
    def from_email(self) -> str:
        """The "From:" header of the e-mails sent on behalf of this collectivity."""
        from email.utils import formataddr, parseaddr

        from django.conf import settings

        address = self.sender_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        return formataddr((self.name, address))

    @property
    def base_url(self) -> str:
        return self.site.root_url


class Membership(models.Model):
    """An agent's or editor's membership of one collectivity: it scopes the back office."""

    class Role(models.TextChoices):
        AGENT = "agent", _("Agent")
        EDITOR = "editor", _("Éditeur")
        # Need-to-know access to children's health data, on top of the agent role.
        HEALTH = "health", _("Agent habilité aux données sanitaires")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    collectivity = models.ForeignKey(
        Collectivity, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "collectivity", "role"], name="unique_membership_role"
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.collectivity} ({self.get_role_display()})"


__all__ = ["Collectivity", "Membership", "Module", "User"]
