"""Supporting documents (« pièces justificatives »): what a collectivity asks of its families
(``DocumentType``), each family's or child's document (``SupportingDocument``) and its files
(``DocumentFile``), stored privately under names the server chooses.

A document row exists from its first file (or the agent's record of a paper one): a type that
applies to a family or child without a row reads « A compléter ». The state parents read is
``SupportingDocument.state``: the stored status, except that an accepted document past its end of
validity reads « Obsolète » even before the daily task has marked it so.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from family.models import ChangeRequest, Child, Family, private_storage
from portal.models import Collectivity
from portal.scoping import TenantManager


class Format(models.TextChoices):
    PDF = "pdf", _("PDF")
    JPEG = "jpeg", _("Image JPEG (photo)")
    PNG = "png", _("Image PNG")


class State(models.TextChoices):
    """The five states, as the parents' guide words them (section 7.1)."""

    MISSING = "missing", _("A compléter")
    PENDING = "pending", _("En cours de validation")
    ACCEPTED = "accepted", _("Transmis")
    REFUSED = "refused", _("Invalide")
    OBSOLETE = "obsolete", _("Obsolète")


class DocumentType(models.Model):
    class Holder(models.TextChoices):
        FAMILY = "family", _("La famille")
        CHILD = "child", _("Chaque enfant")

    class Validity(models.TextChoices):
        NONE = "none", _("Sans limite de validité")
        DURATION = "duration", _("Une durée à partir de la date du document")
        FIXED = "fixed", _("Jusqu’à une date fixe chaque année (fin d’année scolaire…)")

    collectivity = models.ForeignKey(
        Collectivity, on_delete=models.CASCADE, related_name="document_types"
    )
    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    mandatory = models.BooleanField(_("obligatoire"), default=False)
    holder = models.CharField(
        _("demandé pour"), max_length=10, choices=Holder.choices, default=Holder.FAMILY
    )
    # Only children enrolled (or asking to be) in one of these activities; none: every child.
    activities = models.ManyToManyField(
        "planning.Activity",
        blank=True,
        related_name="+",
        verbose_name=_("seulement pour les enfants inscrits à"),
    )
    validity = models.CharField(
        _("validité"), max_length=10, choices=Validity.choices, default=Validity.NONE
    )
    validity_months = models.PositiveSmallIntegerField(
        _("durée de validité (mois)"), null=True, blank=True
    )
    validity_end_day = models.PositiveSmallIntegerField(_("jour de fin"), null=True, blank=True)
    validity_end_month = models.PositiveSmallIntegerField(_("mois de fin"), null=True, blank=True)
    formats = models.JSONField(_("formats acceptés"), default=list)
    blocks_enrolment = models.BooleanField(
        _("bloque les nouvelles pré-inscriptions tant qu’il manque"), default=False
    )
    fiscal_proof = models.BooleanField(
        _("justificatif d’une modification des données fiscales"), default=False
    )
    active = models.BooleanField(_("actif"), default=True)
    order = models.PositiveIntegerField(_("ordre"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "collectivity"
    objects = TenantManager()

    class Meta:
        verbose_name = _("type de pièce justificative")
        verbose_name_plural = _("types de pièces justificatives")
        ordering = ["order", "name", "pk"]

    def __str__(self):
        return self.name

    def valid_until(self, document_date: datetime.date) -> datetime.date | None:
        """The end of validity of a document dated ``document_date`` (None: no end)."""
        if self.validity == self.Validity.DURATION and self.validity_months:
            month = document_date.month - 1 + self.validity_months
            year, month = document_date.year + month // 12, month % 12 + 1
            day = min(document_date.day, _month_days(year, month))
            return datetime.date(year, month, day) - datetime.timedelta(days=1)
        if self.validity == self.Validity.FIXED and self.validity_end_month:
            month = self.validity_end_month
            day = min(self.validity_end_day or 1, _month_days(document_date.year, month))
            end = datetime.date(document_date.year, month, day)
            if end < document_date:
                day = min(self.validity_end_day or 1, _month_days(document_date.year + 1, month))
                end = datetime.date(document_date.year + 1, month, day)
            return end
        return None

    @property
    def validity_label(self) -> str:
        if self.validity == self.Validity.DURATION and self.validity_months:
            return _("%(months)s mois à partir de la date du document") % {
                "months": self.validity_months
            }
        if self.validity == self.Validity.FIXED and self.validity_end_month:
            return _("jusqu’au %(day)02d/%(month)02d suivant la date du document") % {
                "day": self.validity_end_day or 1,
                "month": self.validity_end_month,
            }
        return str(_("sans limite de validité"))

    @property
    def formats_label(self) -> str:
        labels = dict(Format.choices)
        return ", ".join(str(labels[f]) for f in self.formats if f in labels)


def _month_days(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


class SupportingDocument(models.Model):
    """One document of a family (or of one of its children) for one type."""

    class Status(models.TextChoices):
        MISSING = State.MISSING.value, State.MISSING.label
        PENDING = State.PENDING.value, State.PENDING.label
        ACCEPTED = State.ACCEPTED.value, State.ACCEPTED.label
        REFUSED = State.REFUSED.value, State.REFUSED.label
        OBSOLETE = State.OBSOLETE.value, State.OBSOLETE.label

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="documents")
    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="documents"
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.MISSING, db_index=True
    )
    document_date = models.DateField(_("date du document"), null=True, blank=True)
    valid_until = models.DateField(_("fin de validité"), null=True, blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    received_on_paper = models.BooleanField(_("reçu sur papier"), default=False)
    # The fiscal-data change this document justifies (the latest one sent with it).
    change_request = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    collectivity_lookup = "family__collectivity"
    family_lookup = "family"
    objects = TenantManager()

    class Meta:
        verbose_name = _("pièce justificative")
        verbose_name_plural = _("pièces justificatives")
        ordering = ["document_type__order", "document_type__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "document_type"],
                condition=models.Q(child__isnull=True),
                name="one_family_document_per_type",
            ),
            models.UniqueConstraint(
                fields=["family", "document_type", "child"],
                condition=models.Q(child__isnull=False),
                name="one_child_document_per_type",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"])]

    def __str__(self):
        return f"{self.document_type} — {self.get_status_display()}"

    def state_on(self, today: datetime.date) -> str:
        if (
            self.status == self.Status.ACCEPTED
            and self.valid_until is not None
            and self.valid_until < today
        ):
            return self.Status.OBSOLETE
        return self.status

    @property
    def state(self) -> str:
        return self.state_on(timezone.localdate())

    @property
    def state_label(self) -> str:
        return State(self.state).label


def document_file_path(instance, filename):
    """A name chosen by the server: nothing of the sender's file name reaches the storage."""
    today = timezone.now()
    return f"documents/{today:%Y/%m}/{uuid.uuid4().hex}.{instance.extension}"


class DocumentFile(models.Model):
    """One file of a document (a card's two sides are two files)."""

    class Scan(models.TextChoices):
        PENDING = "pending", _("analyse en cours")
        CLEAN = "clean", _("sain")
        INFECTED = "infected", _("refusé par l’antivirus")

    EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

    document = models.ForeignKey(SupportingDocument, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(storage=private_storage, upload_to=document_file_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    # The sender's name, for display only (cleaned, never used on disk).
    original_name = models.CharField(max_length=120, blank=True)
    current = models.BooleanField(default=True)
    scan = models.CharField(max_length=10, choices=Scan.choices, default=Scan.PENDING)
    scan_attempts = models.PositiveSmallIntegerField(default=0)
    scanned_at = models.DateTimeField(null=True, blank=True)
    scan_result = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "document__family__collectivity"
    family_lookup = "document__family"
    objects = TenantManager()

    class Meta:
        verbose_name = _("fichier")
        verbose_name_plural = _("fichiers")
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["scan", "uploaded_at"])]

    def __str__(self):
        return self.original_name or self.file.name

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "bin")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def download_name(self) -> str:
        return f"piece-{self.document_id}-{self.pk}.{self.extension}"
