from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.counters import CounterFieldsMixin
from portal.models import Collectivity
from portal.scoping import TenantManager


class Family(CounterFieldsMixin, models.Model):
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
    # Bumped in the transaction of every write the family's planning shows (its bookings,
    # requests, enrolments, children): part of the cached planning's key (planning.versions).
    planning_version = models.PositiveBigIntegerField(default=0, editable=False)
    # Bumped with it by the writes of its roster only (its children, their enrolments, the
    # family's own row): a grid computed before a write of bookings or requests alone keeps
    # its children, activities and slots (planning.grid_cache).
    roster_version = models.PositiveBigIntegerField(default=0, editable=False)

    counter_fields = ("planning_version", "roster_version")
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
    address_complement = models.CharField(_("complément d’adresse"), max_length=200, blank=True)
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


# --- The family dossier (issue 4): financial and fiscal data, children's details, and the
# requests that change them. Every parent edit is a ChangeRequest that an agent decides.


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class BankDetails(models.Model):
    """Direct-debit details ("informations financières, prélèvement")."""

    family = models.OneToOneField(Family, on_delete=models.CASCADE, related_name="bank_details")
    holder_name = models.CharField(_("titulaire du compte"), max_length=150)
    holder_address = models.CharField(_("adresse du titulaire"), max_length=300, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    collectivity_lookup = "family__collectivity"
    family_lookup = "family"
    objects = TenantManager()

    class Meta:
        verbose_name = _("coordonnées bancaires")
        verbose_name_plural = _("coordonnées bancaires")

    def __str__(self):
        return f"{self.holder_name} — {self.iban[:4]}…{self.iban[-4:]}"


class FiscalData(models.Model):
    class AllowanceBody(models.TextChoices):
        NONE = "", _("Aucun")
        CAF = "caf", _("CAF")
        MSA = "msa", _("MSA")

    family = models.OneToOneField(Family, on_delete=models.CASCADE, related_name="fiscal_data")
    reference_tax_income = models.DecimalField(
        _("revenu fiscal de référence (€)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    tax_shares = models.DecimalField(
        _("nombre de parts fiscales"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    allowance_body = models.CharField(
        _("organisme d’allocations"), max_length=3, choices=AllowanceBody.choices, blank=True
    )
    allowance_number = models.CharField(
        _("numéro d’allocataire CAF/MSA"), max_length=20, blank=True
    )
    family_quotient = models.DecimalField(
        _("quotient familial (€)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    collectivity_lookup = "family__collectivity"
    family_lookup = "family"
    objects = TenantManager()

    class Meta:
        verbose_name = _("données fiscales")
        verbose_name_plural = _("données fiscales")

    def __str__(self):
        return str(self.family)


class QuotientPeriod(models.Model):
    """The family quotient (QF) over its dates of validity: invoicing applies the one valid
    on the day billed. ``FiscalData.family_quotient`` is the current value shown in the
    dossier; this is its history."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="quotients")
    value = models.DecimalField(_("quotient familial (€)"), max_digits=8, decimal_places=2)
    valid_from = models.DateField(_("valable à partir du"))
    valid_to = models.DateField(_("valable jusqu’au"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "family__collectivity"
    family_lookup = "family"
    objects = TenantManager()

    class Meta:
        verbose_name = _("quotient familial")
        verbose_name_plural = _("quotients familiaux")
        ordering = ["family", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="quotient_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.value} ({self.valid_from:%d/%m/%Y})"


class AuthorizationType(models.Model):
    """An authorisation the collectivity asks parents about (photos, leaving alone, …)."""

    collectivity = models.ForeignKey(
        Collectivity, on_delete=models.CASCADE, related_name="authorization_types"
    )
    label = models.CharField(_("libellé"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    active = models.BooleanField(_("active"), default=True)

    collectivity_lookup = "collectivity"
    objects = TenantManager()

    class Meta:
        verbose_name = _("type d’autorisation")
        verbose_name_plural = _("types d’autorisation")
        ordering = ["collectivity", "order", "pk"]

    def __str__(self):
        return self.label


class ChildAuthorization(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="authorizations")
    authorization_type = models.ForeignKey(
        AuthorizationType, on_delete=models.CASCADE, related_name="+"
    )
    granted = models.BooleanField(_("autorisé"), default=False)

    collectivity_lookup = "child__family__collectivity"
    family_lookup = "child__family"
    objects = TenantManager()

    class Meta:
        verbose_name = _("autorisation")
        verbose_name_plural = _("autorisations")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "authorization_type"], name="unique_child_authorization"
            )
        ]

    def __str__(self):
        return f"{self.child} — {self.authorization_type}: {self.granted}"


class HealthRecord(models.Model):
    """Health data ("données sanitaires"): need-to-know access, every agent view is logged."""

    class Diet(models.TextChoices):
        STANDARD = "", _("Sans particularité")
        NO_PORK = "no_pork", _("Sans porc")
        NO_MEAT = "no_meat", _("Sans viande")
        VEGETARIAN = "vegetarian", _("Végétarien")
        MEDICAL = "medical", _("Régime médical (voir PAI)")

    child = models.OneToOneField(Child, on_delete=models.CASCADE, related_name="health")
    allergies = models.TextField(_("allergies"), blank=True)
    diet = models.CharField(
        _("régime alimentaire"), max_length=12, choices=Diet.choices, blank=True
    )
    meal_plan = models.CharField(
        _("repas"), max_length=100, blank=True, help_text=_("Par exemple : panier repas.")
    )
    vaccinations = models.TextField(_("vaccinations"), blank=True)
    doctor_name = models.CharField(_("médecin traitant"), max_length=150, blank=True)
    doctor_phone = models.CharField(_("téléphone du médecin"), max_length=30, blank=True)
    medical_notes = models.TextField(_("observations médicales"), blank=True)
    has_pai = models.BooleanField(_("projet d’accueil individualisé (PAI)"), default=False)
    pai_details = models.TextField(_("détails du PAI"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    collectivity_lookup = "child__family__collectivity"
    family_lookup = "child__family"
    objects = TenantManager()

    class Meta:
        verbose_name = _("données sanitaires")
        verbose_name_plural = _("données sanitaires")
        permissions = [("view_health_data", _("Peut consulter les données sanitaires"))]

    def __str__(self):
        return str(self.child)


class AuthorizedAdult(models.Model):
    """An adult allowed to take the child in charge ("adulte habilité")."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="authorized_adults")
    last_name = models.CharField(_("nom"), max_length=100)
    first_name = models.CharField(_("prénom"), max_length=100)
    relation = models.CharField(_("lien avec l’enfant"), max_length=100)
    phone = models.CharField(_("téléphone"), max_length=30)
    phone_alt = models.CharField(_("autre téléphone"), max_length=30, blank=True)
    may_pick_up = models.BooleanField(_("peut venir chercher l’enfant"), default=True)

    collectivity_lookup = "child__family__collectivity"
    family_lookup = "child__family"
    objects = TenantManager()

    class Meta:
        verbose_name = _("adulte habilité")
        verbose_name_plural = _("adultes habilités")
        ordering = ["child", "last_name", "pk"]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.relation})"


class ChildPhoto(models.Model):
    """The child's photo, stored privately and served only by permission-checked views."""

    child = models.OneToOneField(Child, on_delete=models.CASCADE, related_name="photo")
    file = models.FileField(storage=private_storage, upload_to="photos/%Y/%m/")
    content_type = models.CharField(max_length=20)
    updated_at = models.DateTimeField(auto_now=True)

    collectivity_lookup = "child__family__collectivity"
    family_lookup = "child__family"
    objects = TenantManager()

    def __str__(self):
        return f"Photo — {self.child}"


class ChangeRequest(models.Model):
    """One parent edit of the dossier, pending until an agent accepts or refuses it.

    ``changes`` maps field names to ``{"old": ..., "new": ...}`` (JSON-friendly strings).
    A later edit of a field that is still pending takes the field over: the older request
    loses that field (and becomes "superseded" when it has none left); both stay in history.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de validation")
        ACCEPTED = "accepted", _("Acceptée")
        REFUSED = "refused", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")
        SUPERSEDED = "superseded", _("Remplacée")

    class Target(models.TextChoices):
        GUARDIAN = "guardian", _("Responsable")
        BANK = "bank", _("Coordonnées bancaires")
        FISCAL = "fiscal", _("Données fiscales")
        CHILD = "child", _("Enfant")
        HEALTH = "health", _("Données sanitaires")
        AUTHORIZATIONS = "authorizations", _("Autorisations")
        AUTHORIZED_ADULT = "authorized_adult", _("Adulte habilité")
        PHOTO = "photo", _("Photo")

    class Action(models.TextChoices):
        UPDATE = "update", _("Modification")
        CREATE = "create", _("Ajout")
        DELETE = "delete", _("Suppression")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="change_requests")
    target = models.CharField(_("objet"), max_length=20, choices=Target.choices)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices, default="update")
    # The changed row (guardian, child, authorised adult…); None for a creation or a
    # family-level target (bank, fiscal).
    object_id = models.BigIntegerField(null=True, blank=True)
    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    changes = models.JSONField(_("modifications"), default=dict)
    photo = models.FileField(storage=private_storage, upload_to="pending-photos/%Y/%m/", blank=True)
    status = models.CharField(
        _("statut"), max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)

    collectivity_lookup = "family__collectivity"
    family_lookup = "family"
    objects = TenantManager()

    class Meta:
        verbose_name = _("demande de modification")
        verbose_name_plural = _("demandes de modification")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["family", "status"])]

    def __str__(self):
        return f"{self.get_target_display()} — {self.get_status_display()}"


class FamilyCreationRequest(models.Model):
    """The family-space creation form of a parent without a code: a draft kept on the server
    through its steps, then a pending request an agent accepts (creating the family)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PENDING = "pending", _("En attente de validation")
        ACCEPTED = "accepted", _("Acceptée")
        REFUSED = "refused", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")

    collectivity = models.ForeignKey(Collectivity, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="family_creation_requests"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    step = models.PositiveSmallIntegerField(default=1)
    # {"guardians": [...], "children": [...], "payer": 1, "bank": {...}, "fiscal": {...}}
    data = models.JSONField(default=dict)
    family = models.ForeignKey(
        Family, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)

    collectivity_lookup = "collectivity"
    objects = TenantManager()

    class Meta:
        verbose_name = _("demande de création de l’espace famille")
        verbose_name_plural = _("demandes de création de l’espace famille")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.user} — {self.get_status_display()}"


class HealthAccessLog(models.Model):
    """Every agent view of a child's health data."""

    collectivity = models.ForeignKey(Collectivity, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    collectivity_lookup = "collectivity"
    objects = TenantManager()

    class Meta:
        verbose_name = _("consultation de données sanitaires")
        verbose_name_plural = _("consultations de données sanitaires")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} → {self.child} ({self.created_at:%d/%m/%Y %H:%M})"
