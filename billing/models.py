"""Money: régies, invoices and their lines, payments and their allocation to invoices.

Amounts are ``Decimal`` euros with two decimals, never floats. Nothing is deleted: an issued
invoice is never edited, a correction is a credit note (the invoice « Annulée » with its
reason, who and when); a database constraint keeps what was paid between 0 and the total.
Numbers are gapless per régie, kind and year, from a counter row locked with
``select_for_update`` (``billing.services.numbering``).
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from family.models import Child, Family, Guardian, private_storage
from portal.models import Collectivity
from portal.scoping import TenantManager

ZERO = Decimal("0.00")


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=10, decimal_places=2, **kwargs)


class Regie(models.Model):
    """The issuer of invoices (« émetteur » for parents): one or several per collectivity."""

    class Backend(models.TextChoices):
        NONE = "", _("Pas de paiement en ligne")
        PAYFIP = "payfip_ws", _("PayFiP (web service)")
        TIPI = "tipi", _("TIPI")
        DUMMY = "dummy", _("Simulateur (démonstration et tests)")

    class Saisie(models.TextChoices):
        TEST = "T", _("T — test")
        ACTIVATION = "X", _("X — activation")
        PRODUCTION = "W", _("W — production")

    collectivity = models.ForeignKey(Collectivity, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(
        _("code"),
        max_length=2,
        help_text=_("Deux chiffres, en tête des numéros de facture (F01-2026-000123)."),
    )
    name = models.CharField(_("nom"), max_length=150)
    address = models.TextField(_("adresse"), blank=True)
    online_backend = models.CharField(
        _("paiement en ligne"), max_length=12, choices=Backend.choices, blank=True
    )
    payfip_numcli = models.CharField(_("numéro client PayFiP (numcli)"), max_length=6, blank=True)
    payfip_saisie = models.CharField(
        _("mode PayFiP (saisie)"), max_length=1, choices=Saisie.choices, default="T"
    )
    creditor_identifier = models.CharField(
        _("identifiant créancier SEPA (ICS)"), max_length=35, blank=True
    )
    # The account the direct debits are credited to (the régie's own, as the bank gave it).
    creditor_iban = models.CharField(_("IBAN du compte crédité"), max_length=34, blank=True)
    creditor_bic = models.CharField(_("BIC du compte crédité"), max_length=11, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    collectivity_lookup = "collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("régie")
        verbose_name_plural = _("régies")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["collectivity", "code"], name="unique_regie_code"),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{2}$"), name="regie_code_two_digits"
            ),
        ]

    def __str__(self):
        return self.name


class NumberCounter(models.Model):
    """The last number given, per régie, kind (F invoice, A credit note, R payment) and year."""

    class Kind(models.TextChoices):
        INVOICE = "F", _("Facture")
        CREDIT_NOTE = "A", _("Avoir")
        PAYMENT = "R", _("Règlement")

    regie = models.ForeignKey(Regie, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=1, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    collectivity_lookup = "regie__collectivity"

    objects = TenantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["regie", "kind", "year"], name="unique_number_counter")
        ]

    def __str__(self):
        return f"{self.kind}{self.regie.code}-{self.year}: {self.last}"


class Invoice(models.Model):
    class Status(models.TextChoices):
        TO_PAY = "to_pay", _("À payer")
        PARTIAL = "partial", _("Partiellement payée")
        PAID = "paid", _("Payée")
        CANCELLED = "cancelled", _("Annulée")

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="invoices")
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="invoices")
    payer = models.ForeignKey(
        Guardian, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("payeur")
    )
    # Who the invoice was made out to, as printed (the guardian may change later).
    payer_name = models.CharField(_("payeur"), max_length=200)
    payer_address = models.TextField(_("adresse du payeur"), blank=True)
    number = models.CharField(_("numéro"), max_length=20)
    label = models.CharField(_("objet"), max_length=200, blank=True)
    # The invoice's number in the software it was imported from: the same file imported twice
    # is refused (unique per régie), and the agent finds the old number.
    source_ref = models.CharField(_("numéro d’origine"), max_length=50, blank=True)
    issue_date = models.DateField(_("date d’émission"))
    due_date = models.DateField(_("date d’échéance"))
    total = money_field(_("montant"))
    paid = money_field(_("montant réglé"), default=ZERO)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.TO_PAY, db_index=True
    )
    # The invoicing run that issued it (empty for imported or manual invoices).
    run = models.ForeignKey(
        "InvoicingRun", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    # A family on direct debit: the date the amount will be taken (« Prélèvement le … »).
    direct_debit_date = models.DateField(_("date de prélèvement"), null=True, blank=True)
    pdf = models.FileField(storage=private_storage, upload_to="invoices/%Y/%m/", blank=True)
    credit_note_number = models.CharField(_("numéro de l’avoir"), max_length=20, blank=True)
    cancel_reason = models.TextField(_("motif de l’annulation"), blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "regie__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-issue_date", "-pk"]
        indexes = [models.Index(fields=["family", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["regie", "number"], name="unique_invoice_number"),
            models.UniqueConstraint(
                fields=["regie", "source_ref"],
                condition=~Q(source_ref=""),
                name="unique_invoice_source_ref",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_positive"),
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(paid__lte=F("total")), name="invoice_paid_le_total"
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def balance(self) -> Decimal:
        """What is left to pay (nothing once cancelled)."""
        if self.status == self.Status.CANCELLED:
            return ZERO
        return self.total - self.paid

    @property
    def is_payable(self) -> bool:
        return self.status in (self.Status.TO_PAY, self.Status.PARTIAL) and self.balance > 0


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    child_name = models.CharField(_("enfant"), max_length=150, blank=True)
    # The activity billed (set by invoicing runs; empty for imported or manual lines).
    activity = models.ForeignKey(
        "planning.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    label = models.CharField(_("activité"), max_length=200)
    period = models.CharField(_("période ou jours"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantité"), max_digits=8, decimal_places=2)
    unit_price = money_field(_("prix unitaire"))
    amount = money_field(_("montant"))
    details = models.TextField(_("détails"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    collectivity_lookup = "invoice__regie__collectivity"
    family_lookup = "invoice__family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("ligne de facture")
        verbose_name_plural = _("lignes de facture")
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.label}: {self.amount}"


class Payment(models.Model):
    class Kind(models.TextChoices):
        CARD = "card", _("Carte bancaire en ligne")
        DIRECT_DEBIT = "direct_debit", _("Prélèvement")
        CHEQUE = "cheque", _("Chèque")
        CASH = "cash", _("Espèces")
        CESU = "cesu", _("CESU")
        HOLIDAY_VOUCHERS = "holiday_vouchers", _("Chèques-vacances")
        TRANSFER = "transfer", _("Virement")

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="payments")
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="payments")
    number = models.CharField(_("numéro"), max_length=20)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("date"))
    amount = money_field(_("montant"))
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    invoices = models.ManyToManyField(Invoice, through="PaymentAllocation", related_name="payments")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "regie__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("règlement")
        verbose_name_plural = _("règlements")
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["regie", "number"], name="unique_payment_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return self.number


class PaymentAllocation(models.Model):
    """The part of a payment that settles one invoice."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = money_field(_("montant"))

    collectivity_lookup = "invoice__regie__collectivity"
    family_lookup = "invoice__family"

    objects = TenantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="unique_allocation"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]

    def __str__(self):
        return f"{self.payment} → {self.invoice}: {self.amount}"


class PaymentTransaction(models.Model):
    """One online payment attempt (eopayment): what was asked, every answer received."""

    class Status(models.TextChoices):
        CREATED = "created", _("Créée")
        WAITING = "waiting", _("En attente")
        PAID = "paid", _("Paiement accepté")
        DENIED = "denied", _("Paiement refusé")
        CANCELLED = "cancelled", _("Paiement annulé")
        EXPIRED = "expired", _("Expirée")
        ERROR = "error", _("Erreur")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="+")
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="+")
    invoices = models.ManyToManyField(Invoice, related_name="transactions")
    amount = money_field(_("montant"))
    email = models.EmailField(_("e-mail"))
    reference = models.CharField(_("référence"), max_length=30)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.CREATED, db_index=True
    )
    provider_id = models.CharField(_("identifiant chez le prestataire"), max_length=100, blank=True)
    responses = models.JSONField(default=list, blank=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="transaction"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    collectivity_lookup = "regie__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("transaction de paiement en ligne")
        verbose_name_plural = _("transactions de paiement en ligne")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.reference} ({self.get_status_display()})"


def iban_masked(iban: str) -> str:
    """« FR76 **** **** **** **** ***0 189 »: the country and key, and the last three
    characters, in groups of four (what a parent or an agent needs to recognise the account)."""
    compact = "".join((iban or "").split()).upper()
    if len(compact) < 8:
        return compact
    hidden = compact[:4] + "*" * (len(compact) - 7) + compact[-3:]
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))


class Mandate(models.Model):
    """A family's SEPA direct-debit mandate with one régie (its creditor, identified by the ICS).

    The account debited is the one validated in the family's dossier (``family.BankDetails``);
    the mandate keeps a copy of the IBAN/BIC it was signed for. The sequence is FRST until the
    first debit is exported, RCUR afterwards; a revoked mandate is never debited again.
    """

    class Sequence(models.TextChoices):
        FIRST = "FRST", _("FRST — premier prélèvement")
        RECURRING = "RCUR", _("RCUR — prélèvement récurrent")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Actif")
        REVOKED = "revoked", _("Révoqué")

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="mandates")
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="mandates")
    rum = models.CharField(_("référence unique du mandat (RUM)"), max_length=35)
    signature_date = models.DateField(_("date de signature"))
    holder_name = models.CharField(_("titulaire du compte"), max_length=150)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    sequence = models.CharField(
        _("séquence"), max_length=4, choices=Sequence.choices, default=Sequence.FIRST
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    collectivity_lookup = "regie__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("mandat de prélèvement")
        verbose_name_plural = _("mandats de prélèvement")
        ordering = ["-signature_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["regie", "rum"], name="unique_mandate_rum"),
            # At most one active mandate per family and régie.
            models.UniqueConstraint(
                fields=["regie", "family"],
                condition=Q(status="active"),
                name="one_active_mandate_per_family",
            ),
        ]

    def __str__(self):
        return self.rum

    @property
    def iban_masked(self) -> str:
        return iban_masked(self.iban)


class PaymentReversal(models.Model):
    """A payment taken back (a returned direct debit, « rejet »): the payment and its
    allocations stay as they were, this record says they no longer count. The invoices'
    ``paid`` went down by the allocations' amounts in the same transaction."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="reversal")
    date = models.DateField(_("date du rejet"))
    reason = models.CharField(_("motif"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "payment__regie__collectivity"
    family_lookup = "payment__family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("rejet de règlement")
        verbose_name_plural = _("rejets de règlement")

    def __str__(self):
        return f"{self.payment} ({self.reason})"


def _batch_path(batch, filename):
    return f"direct-debits/{batch.collection_date:%Y/%m}/{filename}"


class DirectDebitBatch(models.Model):
    """One SEPA direct-debit file (pain.008.001.08) of one régie for one collection date,
    stored privately as generated; its items are the invoices it collects."""

    class Status(models.TextChoices):
        GENERATED = "generated", _("Fichier généré")
        WITH_REJECTS = "with_rejects", _("Avec des rejets")

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="debit_batches")
    collection_date = models.DateField(_("date de prélèvement"))
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.GENERATED
    )
    message_id = models.CharField(_("identifiant du message SEPA"), max_length=35)
    count = models.PositiveIntegerField(_("nombre de prélèvements"), default=0)
    total = money_field(_("montant total"), default=ZERO)
    file = models.FileField(storage=private_storage, upload_to=_batch_path, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "regie__collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("lot de prélèvements")
        verbose_name_plural = _("lots de prélèvements")
        ordering = ["-collection_date", "-pk"]

    def __str__(self):
        return f"{self.regie.code} — {self.collection_date:%d/%m/%Y}"

    @property
    def filename(self) -> str:
        return f"prelevements-{self.regie.code}-{self.collection_date:%Y-%m-%d}-{self.pk}.xml"


class DirectDebitItem(models.Model):
    """One invoice collected in a batch: the mandate and sequence used, the amount (the
    balance due when the file was generated), the payment recorded, and a rejet if the bank
    returned it. An invoice is collected at most once (unique constraint)."""

    class Status(models.TextChoices):
        COLLECTED = "collected", _("Prélevé")
        REJECTED = "rejected", _("Rejeté")

    batch = models.ForeignKey(DirectDebitBatch, on_delete=models.PROTECT, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="debit_items")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="debit_items")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="debit_item")
    amount = money_field(_("montant"))
    sequence = models.CharField(_("séquence"), max_length=4, choices=Mandate.Sequence.choices)
    end_to_end_id = models.CharField(_("référence de bout en bout"), max_length=35)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.COLLECTED
    )
    reject_code = models.CharField(_("code du rejet"), max_length=4, blank=True)
    reversal = models.OneToOneField(
        PaymentReversal, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    collectivity_lookup = "batch__regie__collectivity"
    family_lookup = "invoice__family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("prélèvement")
        verbose_name_plural = _("prélèvements")
        ordering = ["batch", "pk"]
        constraints = [
            # No double collection: an invoice is in one batch at most.
            models.UniqueConstraint(fields=["invoice"], name="invoice_debited_once"),
            models.UniqueConstraint(
                fields=["batch", "end_to_end_id"], name="unique_debit_end_to_end_id"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="debit_amount_positive"),
        ]

    def __str__(self):
        return self.end_to_end_id


class Tariff(models.Model):
    """What one activity costs over a period of validity, by family-quotient bracket.

    Brackets (``TariffBracket``) cover ``qf_min <= QF <= qf_max`` (both included, euros with
    two decimals; the last one may be open: ``qf_max`` empty) and never overlap. A child's
    rank in the family may lower the price (``TariffRankReduction``). The family's quotient is
    the one valid on the day billed (``family.QuotientPeriod``); without one, ``no_quotient``
    says what happens.
    """

    class Unit(models.TextChoices):
        DAY = "day", _("journée")
        HALF_DAY = "half_day", _("demi-journée")
        MEAL = "meal", _("repas")
        HOUR = "hour", _("heure")

    class NoQuotient(models.TextChoices):
        HIGHEST = "highest", _("Appliquer la tranche la plus haute")
        BLOCK = "block", _("Ne pas facturer : la famille est signalée en anomalie")

    activity = models.ForeignKey(
        "planning.Activity", on_delete=models.PROTECT, related_name="tariffs"
    )
    valid_from = models.DateField(_("valable à partir du"))
    valid_to = models.DateField(_("valable jusqu’au"), null=True, blank=True)
    unit = models.CharField(_("unité facturée"), max_length=10, choices=Unit.choices)
    # Empty: a billed absence costs the same as the day it replaces.
    absence_price = money_field(_("prix d’une absence facturée"), null=True, blank=True)
    no_quotient = models.CharField(
        _("famille sans quotient familial"),
        max_length=10,
        choices=NoQuotient.choices,
        default=NoQuotient.HIGHEST,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "activity__collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("tarif")
        verbose_name_plural = _("tarifs")
        ordering = ["activity", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="tariff_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.activity} — {self.valid_from:%d/%m/%Y}"


class TariffBracket(models.Model):
    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="brackets")
    qf_min = money_field(_("quotient familial de"))
    qf_max = money_field(_("à"), null=True, blank=True)
    price = money_field(_("prix unitaire"))

    collectivity_lookup = "tariff__activity__collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("tranche de quotient familial")
        verbose_name_plural = _("tranches de quotient familial")
        ordering = ["tariff", "qf_min"]
        constraints = [
            models.CheckConstraint(
                condition=Q(qf_max__isnull=True) | Q(qf_max__gte=F("qf_min")),
                name="bracket_bounds_ordered",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="bracket_price_positive"),
        ]

    def __str__(self):
        return f"{self.qf_min}–{self.qf_max or '…'}: {self.price}"


class TariffRankReduction(models.Model):
    """Sibling reduction: from the child's rank ``rank`` on (2 = the second child), the price
    is ``percent`` % of the bracket's price. The highest rank that applies wins."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="rank_reductions")
    rank = models.PositiveSmallIntegerField(_("à partir du rang"))
    percent = models.DecimalField(_("pourcentage du tarif"), max_digits=5, decimal_places=2)

    collectivity_lookup = "tariff__activity__collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("réduction selon le rang de l’enfant")
        verbose_name_plural = _("réductions selon le rang de l’enfant")
        ordering = ["tariff", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "rank"], name="unique_tariff_rank"),
            models.CheckConstraint(
                condition=Q(rank__gte=2) & Q(percent__gte=0) & Q(percent__lte=100),
                name="rank_reduction_bounds",
            ),
        ]

    def __str__(self):
        return f"{self.rank}: {self.percent} %"


class InvoicingRun(models.Model):
    """« Facturation » of one period for one régie and some of its activities.

    A draft computes each family's lines (``RunFamily``, ``RunLine``) without issuing
    anything; « Émettre » turns it into numbered invoices in one task, whose progress is
    ``progress_done`` / ``progress_total``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        ISSUING = "issuing", _("Émission en cours")
        ISSUED = "issued", _("Émise")
        FAILED = "failed", _("Échec de l’émission")

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="runs")
    label = models.CharField(_("objet"), max_length=200)
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    activities = models.ManyToManyField(
        "planning.Activity", related_name="+", verbose_name=_("activités")
    )
    # Reserved days with no attendance recorded: billed (True) or left for a later run.
    bill_unrecorded = models.BooleanField(
        _("facturer les jours réservés non pointés"), default=True
    )
    issue_date = models.DateField(_("date d’émission"), null=True, blank=True)
    due_date = models.DateField(_("date d’échéance"), null=True, blank=True)
    direct_debit_date = models.DateField(_("date de prélèvement"), null=True, blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)

    collectivity_lookup = "regie__collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("facturation")
        verbose_name_plural = _("facturations")
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="run_period_ordered"
            ),
        ]

    def __str__(self):
        return self.label


class InvoiceReminder(models.Model):
    """One reminder (« relance ») of an overdue invoice: at most one per invoice and level.

    Level N is due ``Collectivity.reminder_days[N-1]`` days after the invoice's due date. The
    family is e-mailed (``channel`` e-mail), or, when it has no e-mail address, the reminder is
    a letter the agents print from the back office (``channel`` letter).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        LETTER = "letter", _("courrier")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    level = models.PositiveSmallIntegerField(_("niveau"))
    sent_at = models.DateTimeField(_("envoyée le"))
    channel = models.CharField(_("envoi"), max_length=10, choices=Channel.choices)
    # What was left to pay when the reminder went out (the letter prints it).
    balance = money_field(_("reste à payer"))

    collectivity_lookup = "invoice__regie__collectivity"
    family_lookup = "invoice__family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("relance")
        verbose_name_plural = _("relances")
        ordering = ["invoice", "level"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="unique_reminder_level"),
            models.CheckConstraint(condition=Q(level__gte=1), name="reminder_level_positive"),
        ]

    def __str__(self):
        return f"{self.invoice} — relance {self.level}"


class TaxCertificate(models.Model):
    """« Attestation de frais de garde » of one child for one calendar year: what the family
    paid that year for the child's childcare activities (``Activity.childcare``). Rendered once
    and stored in private storage (``billing.services.certificates``)."""

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="tax_certificates")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="tax_certificates")
    year = models.PositiveSmallIntegerField(_("année"))
    amount = money_field(_("montant payé"))
    # What the PDF printed besides the amount (régies and their part, payers, place, date),
    # so that a batch print reads the same as the stored file.
    details = models.JSONField(default=dict, blank=True)
    pdf = models.FileField(storage=private_storage, upload_to="certificates/%Y/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "family__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("attestation fiscale")
        verbose_name_plural = _("attestations fiscales")
        ordering = ["-year", "family__name", "child__birth_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "child", "year"], name="unique_tax_certificate"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tax_certificate_positive"),
        ]

    def __str__(self):
        return f"{self.year} — {self.child}"


class RunFamily(models.Model):
    """One family in an invoicing run: its draft total, what blocks it, and once issued its
    invoice (or the credit its negative total became)."""

    run = models.ForeignKey(InvoicingRun, on_delete=models.CASCADE, related_name="families")
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="+")
    family_name = models.CharField(_("famille"), max_length=150)
    payer = models.ForeignKey(Guardian, null=True, on_delete=models.SET_NULL, related_name="+")
    payer_name = models.CharField(_("payeur"), max_length=200, blank=True)
    # What the lines add up to (negative when reversals exceed charges).
    lines_total = money_field(_("total des lignes"), default=ZERO)
    # The family's credit deducted from this invoice (never more than the lines' total).
    credit_used = money_field(_("crédit déduit"), default=ZERO)
    # lines_total − credit_used: the invoice's total, or (negative) the credit it becomes.
    total = money_field(_("total"), default=ZERO)
    # An anomaly that prevents invoicing (no payer, no quotient under the « block » policy).
    blocked = models.BooleanField(_("bloquée"), default=False)
    invoice = models.OneToOneField(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="run_family"
    )
    # Set once the family is through the issue (invoice, credit or nothing to bill).
    issued_at = models.DateTimeField(null=True, blank=True)

    collectivity_lookup = "run__regie__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("famille d’une facturation")
        verbose_name_plural = _("familles d’une facturation")
        ordering = ["family_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "family"], name="unique_run_family"),
        ]

    def __str__(self):
        return f"{self.run} — {self.family_name}"


class RunLine(models.Model):
    """One booking priced by a draft run (or the reversal of one billed earlier)."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Facturé")
        EXCUSED = "excused", _("Absence excusée, non facturée")
        REVERSAL = "reversal", _("Régularisation")

    run_family = models.ForeignKey(RunFamily, on_delete=models.CASCADE, related_name="lines")
    # A draft's line goes with its booking (the draft is recomputed); a billed one is held by
    # the ledger (``BilledBooking`` protects it).
    booking = models.ForeignKey("planning.Booking", on_delete=models.CASCADE, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey("planning.Activity", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The booking's state when priced (present, reserved, absent, absent_billed…).
    state = models.CharField(max_length=15)
    quantity = models.DecimalField(_("quantité"), max_digits=8, decimal_places=2)
    unit_price = money_field(_("prix unitaire"))
    amount = money_field(_("montant"))
    family_quotient = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    rank = models.PositiveSmallIntegerField(default=1)
    tariff = models.ForeignKey(
        Tariff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    collectivity_lookup = "run_family__run__regie__collectivity"
    family_lookup = "run_family__family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("ligne d’une facturation")
        verbose_name_plural = _("lignes d’une facturation")
        ordering = ["run_family", "child", "activity", "date", "pk"]

    def __str__(self):
        return f"{self.booking_id}: {self.amount}"


class RunAnomaly(models.Model):
    """What a draft run could not bill, listed before anything is issued."""

    class Kind(models.TextChoices):
        NO_QUOTIENT = "no_quotient", _("Quotient familial manquant")
        NO_TARIFF = "no_tariff", _("Pas de tarif pour la date")
        NO_PAYER = "no_payer", _("Pas de responsable payeur")
        UNRECORDED = "unrecorded", _("Jours non pointés")

    run = models.ForeignKey(InvoicingRun, on_delete=models.CASCADE, related_name="anomalies")
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="+")
    family_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Whether the family gets no invoice because of it.
    blocking = models.BooleanField(default=False)
    detail = models.TextField(blank=True)

    collectivity_lookup = "run__regie__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("anomalie d’une facturation")
        verbose_name_plural = _("anomalies d’une facturation")
        ordering = ["kind", "family_name", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.family_name}"


class BilledBooking(models.Model):
    """The ledger of billed bookings: a booking is charged once (and reversed at most once),
    whatever the runs — the unique constraint holds it even for two issues at the same time."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Facturé")
        REVERSAL = "reversal", _("Régularisé")

    booking = models.ForeignKey("planning.Booking", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    run = models.ForeignKey(InvoicingRun, on_delete=models.PROTECT, related_name="+")
    run_line = models.OneToOneField(RunLine, on_delete=models.PROTECT, related_name="ledger")
    # Empty when the family's total made no invoice (a credit, or nothing to pay).
    invoice_line = models.ForeignKey(
        InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = money_field(_("montant"))
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "run__regie__collectivity"
    family_lookup = "run_line__run_family__family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("réservation facturée")
        verbose_name_plural = _("réservations facturées")
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind"], name="unique_booking_billed_once"),
        ]

    def __str__(self):
        return f"{self.booking_id} ({self.kind})"


class FamilyCredit(models.Model):
    """A family's credit with a régie, as movements: a negative run total adds to it
    (positive amount), an invoice that deducts it takes from it (negative amount). The balance
    is their sum; it is never negative."""

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="+")
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="credits")
    amount = money_field(_("montant"))
    label = models.CharField(_("libellé"), max_length=200)
    run = models.ForeignKey(
        InvoicingRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "regie__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("crédit de la famille")
        verbose_name_plural = _("crédits des familles")
        ordering = ["family", "created_at", "pk"]
        indexes = [models.Index(fields=["regie", "family"])]

    def __str__(self):
        return f"{self.family_id}: {self.amount}"
