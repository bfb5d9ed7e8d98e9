"""Activities, their slots, enrolments, bookings and reservation/absence requests.

Vocabulary (see DESIGN.md): an ``Activity`` ("activité") has a calendar from which ``Slot`` rows
("créneaux": one activity on one date) are generated; a child must hold an accepted
``Enrolment`` ("inscription") covering a date before a ``Booking`` (child × slot) can be asked
for; parents ask through a ``BookingRequest`` (kind reservation or absence, one day or a
period) made of one ``BookingRequestLine`` per child and day; every change of a booking writes a
``BookingEvent`` (the slot's history shown to parents).

State changes live in the service modules (``planning.services``: slots, enrolments,
bookings, attendance…), never in views.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from family.models import Child, Family
from portal.counters import CounterFieldsMixin
from portal.models import Collectivity
from portal.scoping import TenantManager

WEEKDAY_LABELS = [
    _("lundi"),
    _("mardi"),
    _("mercredi"),
    _("jeudi"),
    _("vendredi"),
    _("samedi"),
    _("dimanche"),
]
WEEKDAY_CHOICES = list(enumerate(WEEKDAY_LABELS))

color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Couleur au format #RRGGBB."))


class Activity(CounterFieldsMixin, models.Model):
    class Kind(models.TextChoices):
        CANTEEN = "canteen", _("Restauration scolaire")
        MORNING_CARE = "morning_care", _("Accueil périscolaire du matin")
        EVENING_CARE = "evening_care", _("Accueil périscolaire du soir")
        WEDNESDAY = "wednesday", _("Accueil du mercredi")
        HOLIDAY_CENTRE = "holiday_centre", _("Accueil de loisirs (vacances)")
        STAY = "stay", _("Séjour")

    class Opening(models.TextChoices):
        TERM_TIME = "term_time", _("Période scolaire (fermé pendant les vacances)")
        SCHOOL_HOLIDAYS = "school_holidays", _("Vacances scolaires uniquement")
        ALL_YEAR = "all_year", _("Toute l’année")

    class WaitingListMode(models.TextChoices):
        AUTOMATIC = "automatic", _("La place libérée est attribuée automatiquement")
        OFFER = "offer", _("La place libérée est proposée à la famille, pour un temps limité")

    collectivity = models.ForeignKey(
        Collectivity, on_delete=models.PROTECT, related_name="activities"
    )
    name = models.CharField(_("nom"), max_length=120)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    place = models.CharField(_("lieu"), max_length=150, blank=True)
    age_min = models.PositiveSmallIntegerField(_("âge minimum (ans)"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("âge maximum (ans)"), null=True, blank=True)
    color = models.CharField(
        _("couleur"), max_length=7, default="#1f5f99", validators=[color_validator]
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("proposée aux familles"), default=True)

    # --- calendar of the school year
    start_date = models.DateField(_("premier jour"))
    end_date = models.DateField(_("dernier jour"))
    # Opening weekdays, Monday = 0 … Sunday = 6.
    weekdays = models.JSONField(_("jours d’ouverture"), default=list)
    opening = models.CharField(
        _("ouverture"), max_length=20, choices=Opening.choices, default=Opening.TERM_TIME
    )
    start_time = models.TimeField(_("heure de début"))
    end_time = models.TimeField(_("heure de fin"))
    capacity = models.PositiveIntegerField(
        _("capacité (places)"), validators=[MinValueValidator(1)]
    )

    # --- rules
    booking_notice_days = models.PositiveSmallIntegerField(
        _("délai de réservation (jours)"),
        default=2,
        help_text=_("Réservation possible jusqu’à J-N, à l’heure limite ci-dessous."),
    )
    cancellation_notice_days = models.PositiveSmallIntegerField(
        _("délai d’absence sans facturation (jours)"), default=2
    )
    notice_in_working_days = models.BooleanField(
        _("délais comptés en jours ouvrés"),
        default=False,
        help_text=_("Sans les samedis, dimanches et jours fériés."),
    )
    notice_deadline_time = models.TimeField(_("heure limite"), default="23:59")
    booking_horizon_days = models.PositiveSmallIntegerField(
        _("réservation possible jusqu’à (jours à l’avance)"),
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    requires_approval = models.BooleanField(
        _("demandes validées par un agent"),
        default=True,
        help_text=_(
            "Sinon, les demandes sont acceptées immédiatement tant qu’il reste des places."
        ),
    )
    late_absence_billed = models.BooleanField(_("absence tardive facturée"), default=True)
    unit_price = models.DecimalField(
        _("tarif par séance (€)"), max_digits=8, decimal_places=2, default=0
    )
    waiting_list_mode = models.CharField(
        _("liste d’attente"),
        max_length=10,
        choices=WaitingListMode.choices,
        default=WaitingListMode.AUTOMATIC,
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("durée de validité d’une place proposée (heures)"), default=24
    )
    # --- billing (read by billing/: tariffs, accounting exports, tax certificates)
    childcare = models.BooleanField(
        _("frais de garde (attestation fiscale)"),
        default=False,
        help_text=_(
            "Les montants payés pour cette activité figurent sur l’attestation de frais de "
            "garde des enfants de moins de 7 ans."
        ),
    )
    accounting_code = models.CharField(_("code comptable (imputation)"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped in the transaction of every write of the activity, its slots or its closures:
    # part of the cached planning's key (planning.versions).
    planning_version = models.PositiveBigIntegerField(default=0, editable=False)

    counter_fields = ("planning_version",)
    collectivity_lookup = "collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        ordering = ["collectivity", "name", "pk"]

    def __str__(self):
        return self.name


class ActivityClosure(models.Model):
    """A date without activity ("jour sans activité"), besides holidays."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("date"))
    reason = models.CharField(_("motif"), max_length=150, blank=True)

    collectivity_lookup = "activity__collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("jour sans activité")
        verbose_name_plural = _("jours sans activité")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "date"], name="unique_closure_per_day")
        ]

    def __str__(self):
        return f"{self.activity} — {self.date:%d/%m/%Y}"


class Slot(models.Model):
    """One activity on one date ("créneau")."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="slots")
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("début"))
    end_time = models.TimeField(_("fin"))
    capacity = models.PositiveIntegerField(_("capacité"))
    # A date that left the calendar while bookings existed: kept, reported, not bookable.
    is_orphan = models.BooleanField(_("hors calendrier"), default=False)

    collectivity_lookup = "activity__collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        ordering = ["date", "start_time", "activity"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "date"], name="unique_slot_per_day")
        ]
        indexes = [models.Index(fields=["date", "activity"])]

    def __str__(self):
        return f"{self.activity} — {self.date:%d/%m/%Y}"


class Enrolment(models.Model):
    """A child's enrolment in an activity for a period ("inscription" / "pré-inscription")."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de validation")
        ACCEPTED = "accepted", _("Acceptée")
        REFUSED = "refused", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="enrolments")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="enrolments")
    start_date = models.DateField(_("du"))
    end_date = models.DateField(_("au"))
    # "Semaine type": weekdays booked automatically (Monday = 0).
    weekdays = models.JSONField(_("semaine type"), default=list, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    comment = models.TextField(_("commentaire"), blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "activity__collectivity"
    family_lookup = "child__family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["child", "activity", "status"])]

    def __str__(self):
        return f"{self.child} — {self.activity}"


class Booking(models.Model):
    """A child on a slot ("réservation"); one row per child and slot, whatever its state."""

    class State(models.TextChoices):
        PENDING = "pending", _("Demande en attente de validation")
        RESERVED = "reserved", _("Réservé")
        WAITING = "waiting", _("En liste d’attente")
        OFFERED = "offered", _("Place proposée")
        PRESENT = "present", _("Présent")
        ABSENT = "absent", _("Absent")
        ABSENT_BILLED = "absent_billed", _("Absence facturée")
        CANCELLED = "cancelled", _("Non réservé")

    # States that hold one of the slot's places.
    HOLDS_PLACE = (State.RESERVED, State.OFFERED, State.PRESENT)
    # States that billing counts.
    BILLABLE = (State.RESERVED, State.PRESENT, State.ABSENT_BILLED)

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="bookings")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="bookings")
    state = models.CharField(_("état"), max_length=15, choices=State.choices)
    # Arrival order on the waiting list.
    queued_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    collectivity_lookup = "slot__activity__collectivity"
    family_lookup = "child__family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        constraints = [
            models.UniqueConstraint(fields=["child", "slot"], name="unique_booking_per_slot")
        ]
        indexes = [
            models.Index(fields=["slot", "state"]),
            models.Index(fields=["child", "state"]),
        ]

    def __str__(self):
        return f"{self.child} — {self.slot}"


class BookingRequest(models.Model):
    """A reservation or absence request: one day from the planning, or a period."""

    class Kind(models.TextChoices):
        RESERVATION = "reservation", _("Réservation")
        ABSENCE = "absence", _("Absence")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de validation")
        ACCEPTED = "accepted", _("Acceptée")
        PARTIAL = "partial", _("Acceptée en partie")
        REFUSED = "refused", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="booking_requests")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    date_from = models.DateField(_("du"))
    date_to = models.DateField(_("au"))
    weekdays = models.JSONField(_("jours concernés"), default=list)
    comment = models.TextField(_("commentaire"), blank=True)
    # One-time token of the form that created it: a replayed submission finds this request.
    submission_key = models.CharField(max_length=64, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When the server received the family's confirmation (stamped first thing in the view):
    # the arrival that decides who gets a place and the order of the waiting list.
    received_at = models.DateTimeField(_("reçue le"), null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    collectivity_lookup = "family__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("demande de réservation ou d’absence")
        verbose_name_plural = _("demandes de réservation ou d’absence")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="unique_request_submission",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.activity} ({self.date_from:%d/%m/%Y})"

    @property
    def is_single_day(self) -> bool:
        return self.date_from == self.date_to


class BookingRequestLine(models.Model):
    """One child on one day of a request; decided one by one or in bulk."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de validation")
        ACCEPTED = "accepted", _("Acceptée")
        WAITING = "waiting", _("En liste d’attente")
        REFUSED = "refused", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")

    request = models.ForeignKey(BookingRequest, on_delete=models.CASCADE, related_name="lines")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="request_lines")
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # A late absence: billed (amount known when the request is made).
    billed = models.BooleanField(_("facturée"), default=False)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    collectivity_lookup = "request__family__collectivity"
    family_lookup = "request__family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("jour demandé")
        verbose_name_plural = _("jours demandés")
        ordering = ["slot__date", "child", "pk"]
        indexes = [
            models.Index(fields=["request", "status"]),
            models.Index(fields=["child", "slot"]),
        ]

    def __str__(self):
        return f"{self.child} — {self.slot}"


class BookingEvent(models.Model):
    """One step of a slot's history for one child: request, decision, attendance…"""

    class Verb(models.TextChoices):
        REQUESTED = "requested", _("Demande envoyée")
        ACCEPTED = "accepted", _("Demande acceptée")
        REFUSED = "refused", _("Demande refusée")
        CANCELLED = "cancelled", _("Demande annulée")
        WAITING = "waiting", _("Inscrit en liste d’attente")
        OFFERED = "offered", _("Place proposée")
        OFFER_EXPIRED = "offer_expired", _("Place proposée expirée")
        PROMOTED = "promoted", _("Place attribuée depuis la liste d’attente")
        BOOKED = "booked", _("Réservation enregistrée")
        ABSENCE = "absence", _("Absence enregistrée")
        PRESENT = "present", _("Présence pointée")
        ABSENT = "absent", _("Absence pointée")
        EXCUSED = "excused", _("Absence excusée pointée")
        ORPHANED = "orphaned", _("Date retirée du calendrier")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    verb = models.CharField(max_length=20, choices=Verb.choices)
    state = models.CharField(_("état après"), max_length=15, choices=Booking.State.choices)
    request_line = models.ForeignKey(
        BookingRequestLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    collectivity_lookup = "booking__slot__activity__collectivity"
    family_lookup = "booking__child__family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("historique du créneau")
        verbose_name_plural = _("historiques des créneaux")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_verb_display()} — {self.booking}"


def feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A family's private iCalendar address; regenerating it kills the old one."""

    family = models.OneToOneField(Family, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=feed_token)
    created_at = models.DateTimeField(auto_now=True)

    collectivity_lookup = "family__collectivity"
    family_lookup = "family"

    objects = TenantManager()

    class Meta:
        verbose_name = _("abonnement agenda")
        verbose_name_plural = _("abonnements agenda")

    def __str__(self):
        return f"{self.family}"
