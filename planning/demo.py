"""Demo loader of the planning app (after ``family.demo.load``): for each demo collectivity, a
2026-2027 school year of activities with their slots, the demo children's enrolments (accepted,
one pending, one refused) and bookings around today: present / absent / « absence facturée »
in the past, typical weeks reserved ahead, a pending reservation request, and a waiting list on
the small holiday centre.

Everything goes through the services (``slots_generate``, ``enrolment_*``, ``reserve``,
``request_submit``); only past attendance is written directly (what the register would have
recorded). Idempotent: activities are found by name, enrolments by child and activity, and
each step only adds what is missing, so running it twice changes nothing.
"""

import datetime
from decimal import Decimal

from django.db.models import Q

from family.models import Family
from notifications.registry import request_kind
from notifications.services import request_message_send
from portal.models import Membership

from .calendar import activity_open_dates, school_holidays
from .models import Activity, Booking, BookingEvent, BookingRequest, Enrolment, Slot
from .rules import PARIS, local_now
from .services.bookings import reserve
from .services.enrolments import enrolment_create, enrolment_refuse, enrolment_request
from .services.requests import request_submit
from .services.slots import slots_for_dates, slots_generate

SCHOOL_DAYS = [0, 1, 3, 4]
YEAR_START = datetime.date(2026, 9, 1)
YEAR_END = datetime.date(2027, 7, 3)
PAST_DAYS = 14

CANTEEN = "Restauration scolaire"
MORNING = "Accueil périscolaire matin"
EVENING = "Accueil périscolaire soir"
WEDNESDAY = "Accueil du mercredi"
HOLIDAY = "Accueil de loisirs — vacances de Noël"

TOWN_PLACES = {
    "beaulieu": (
        "Restaurant scolaire Jules-Ferry",
        "École Jules-Ferry",
        "Centre de loisirs Les Tilleuls",
    ),
    "valfleuri": (
        "Restaurant scolaire des Vignes",
        "École des Vignes",
        "Centre de loisirs du Parc",
    ),
}


def _activity_specs(key: str, holiday: tuple[datetime.date, datetime.date]) -> list[dict]:
    canteen_place, school_place, centre_place = TOWN_PLACES[key]
    return [
        {
            "name": CANTEEN,
            "kind": Activity.Kind.CANTEEN,
            "place": canteen_place,
            "color": "#b3261e",
            "weekdays": SCHOOL_DAYS,
            "start_time": datetime.time(11, 30),
            "end_time": datetime.time(13, 30),
            "capacity": 120,
            "unit_price": Decimal("3.45"),
            # The activity without approval: reservations are accepted at once.
            "requires_approval": False,
            "description": "Repas du midi les jours d’école.",
        },
        {
            "name": MORNING,
            "kind": Activity.Kind.MORNING_CARE,
            "place": school_place,
            "color": "#6a3d9a",
            "weekdays": SCHOOL_DAYS,
            "start_time": datetime.time(7, 30),
            "end_time": datetime.time(8, 30),
            "capacity": 30,
            "unit_price": Decimal("1.50"),
            "description": "Accueil avant la classe.",
        },
        {
            "name": EVENING,
            "kind": Activity.Kind.EVENING_CARE,
            "place": school_place,
            "color": "#1f5f99",
            "weekdays": SCHOOL_DAYS,
            "start_time": datetime.time(16, 30),
            "end_time": datetime.time(18, 30),
            "capacity": 40,
            "unit_price": Decimal("2.80"),
            "description": "Goûter, aide aux devoirs et jeux après la classe.",
        },
        {
            "name": WEDNESDAY,
            "kind": Activity.Kind.WEDNESDAY,
            "place": centre_place,
            "color": "#1e7b34",
            "weekdays": [2],
            "start_time": datetime.time(8, 0),
            "end_time": datetime.time(18, 0),
            "capacity": 24,
            "unit_price": Decimal("12.00"),
            "age_min": 3,
            "age_max": 11,
            "booking_notice_days": 7,
            "description": "Journée du mercredi au centre de loisirs.",
        },
        {
            "name": HOLIDAY,
            "kind": Activity.Kind.HOLIDAY_CENTRE,
            "place": centre_place,
            "color": "#8a4b00",
            "weekdays": [0, 1, 2, 3, 4],
            "opening": Activity.Opening.SCHOOL_HOLIDAYS,
            "start_date": holiday[0],
            "end_date": holiday[1],
            "start_time": datetime.time(8, 30),
            "end_time": datetime.time(17, 30),
            # Small on purpose: the demo shows a waiting list.
            "capacity": 3,
            "unit_price": Decimal("15.00"),
            "age_min": 3,
            "age_max": 12,
            "waiting_list_mode": Activity.WaitingListMode.OFFER,
            "description": "Centre de loisirs pendant les vacances de Noël.",
        },
    ]


def _christmas_holidays(zone: str) -> tuple[datetime.date, datetime.date]:
    """The 2026 Christmas school holidays of the zone, from the maintained library."""
    days = school_holidays(zone, datetime.date(2026, 12, 1), datetime.date(2027, 1, 31))
    christmas = sorted(day for day, name in days.items() if "Noël" in name)
    return christmas[0], christmas[-1]


def load(context):
    today = local_now().date()
    for key in ("beaulieu", "valfleuri"):
        collectivity = context.collectivities.get(key)
        if collectivity is None:
            continue
        activities = _activities_load(collectivity, key, today)
        families = list(
            Family.objects.filter(collectivity=collectivity, external_ref__startswith="DEMO-")
            .prefetch_related("subscriptions__user")
            .order_by("external_ref")
        )
        agent = (
            Membership.objects.filter(collectivity=collectivity, role=Membership.Role.AGENT)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if len(families) < 3 or agent is None:
            continue
        _enrolments_load(families, activities, agent.user)
        _past_attendance_load(families[0], activities, today)
        _pending_request_load(families[0], activities[EVENING], today, agent.user)
        _waiting_list_load(families, activities[HOLIDAY], agent.user, today)
    context.notes.append(
        "\nPlanning : activités 2026-2027, inscriptions (dont une pré-inscription en attente "
        "et une refusée), réservations, une demande de réservation en attente et une liste "
        "d’attente sur l’accueil de loisirs de Noël (Enfance → Pré-inscriptions, Demandes de "
        "réservation). « Mes demandes » (Mon espace citoyen) de parent1@… montre de nouveaux "
        "messages : les inscriptions décidées, la pré-inscription refusée et un message de "
        "l’agent sur la demande en attente ; les récapitulatifs partent à 13 h et 18 h."
    )


def _activities_load(collectivity, key: str, today) -> dict[str, Activity]:
    holiday = _christmas_holidays(collectivity.school_zone or "A")
    activities = {}
    for spec in _activity_specs(key, holiday):
        values = {"start_date": YEAR_START, "end_date": YEAR_END, "is_active": True, **spec}
        name = values.pop("name")
        activity, _created = Activity.objects.update_or_create(
            collectivity=collectivity, name=name, defaults=values
        )
        slots_generate(activity=activity)
        _past_slots_load(activity, today)
        activities[name] = activity
    return activities


def _past_slots_load(activity: Activity, today) -> None:
    """Past dates of the calendar (slot generation only looks ahead): the history the
    planning and the registers show."""
    past = [day for day in activity_open_dates(activity) if day < today]
    existing = set(
        Slot.objects.filter(activity=activity, date__lt=today).values_list("date", flat=True)
    )
    Slot.objects.bulk_create(
        slots_for_dates(activity, [day for day in past if day not in existing])
    )


def _children(family):
    return list(family.children.order_by("birth_date", "pk"))


def _enrolments_load(families, activities, agent) -> None:
    """(family index, child index, activity, typical week, outcome)."""
    plan = [
        (0, 0, CANTEEN, SCHOOL_DAYS, "accepted"),
        (0, 1, CANTEEN, SCHOOL_DAYS, "accepted"),
        (0, 0, EVENING, [], "accepted"),
        (0, 1, EVENING, [], "accepted"),
        (0, 0, HOLIDAY, [], "accepted"),
        (0, 1, HOLIDAY, [], "accepted"),
        (0, 1, MORNING, [0, 3], "pending"),
        (0, 0, WEDNESDAY, [2], "refused"),
        (1, 0, CANTEEN, SCHOOL_DAYS, "accepted"),
        (1, 1, CANTEEN, [], "accepted"),
        (1, 0, MORNING, [0, 3], "accepted"),
        (1, 1, WEDNESDAY, [2], "accepted"),
        (1, 0, HOLIDAY, [], "accepted"),
        (1, 1, HOLIDAY, [], "accepted"),
        (2, 0, CANTEEN, [], "accepted"),
        (2, 0, HOLIDAY, [], "accepted"),
    ]
    children = [_children(family) for family in families]
    existing = set(
        Enrolment.objects.filter(
            child__family__in=families, activity__in=activities.values()
        ).values_list("child_id", "activity_id")
    )
    for family_index, child_index, name, weekdays, outcome in plan:
        kids = children[family_index]
        if child_index >= len(kids):
            continue
        child, activity = kids[child_index], activities[name]
        if (child.pk, activity.pk) in existing:
            continue
        if outcome == "accepted":
            enrolment_create(
                child=child,
                activity=activity,
                start_date=activity.start_date,
                end_date=activity.end_date,
                weekdays=weekdays,
                agent=agent,
            )
            continue
        subscription = families[family_index].subscriptions.first()
        enrolment = enrolment_request(
            child=child,
            activity=activity,
            start_date=activity.start_date,
            end_date=activity.end_date,
            weekdays=weekdays,
            user=subscription.user if subscription else None,
            comment="Nous travaillons tous les deux tôt le matin.",
        )
        if outcome == "refused":
            enrolment_refuse(
                enrolment=enrolment,
                agent=agent,
                reason="Effectif complet le mercredi pour cette tranche d’âge.",
            )


def _past_attendance_load(family, activities, today) -> None:
    """The last two weeks of canteen for the family's children: present, one absence
    (excused) and one « absence facturée », as the register would have recorded them."""
    canteen = activities[CANTEEN]
    start = today - datetime.timedelta(days=PAST_DAYS)
    slots = list(
        Slot.objects.filter(activity=canteen, date__gte=start, date__lt=today).order_by("date")
    )
    enrolled = [
        child
        for child in _children(family)
        if child.enrolments.filter(
            activity=canteen, status=Enrolment.Status.ACCEPTED, start_date__lte=start
        ).exists()
    ]
    taken = set(
        Booking.objects.filter(slot__in=slots, child__in=enrolled).values_list(
            "child_id", "slot_id"
        )
    )
    bookings, events = [], []
    for child_number, child in enumerate(enrolled):
        for index, slot in enumerate(slots):
            if (child.pk, slot.pk) in taken:
                continue
            state, verb = Booking.State.PRESENT, BookingEvent.Verb.PRESENT
            if child_number == 0 and index == 1:
                state, verb = Booking.State.ABSENT_BILLED, BookingEvent.Verb.ABSENT
            elif child_number == 0 and index == 3:
                state, verb = Booking.State.ABSENT, BookingEvent.Verb.EXCUSED
            marked = datetime.datetime.combine(slot.date, slot.end_time, tzinfo=PARIS)
            booking = Booking(child=child, slot=slot, state=state, attendance_marked_at=marked)
            bookings.append(booking)
            events.append((booking, verb))
    Booking.objects.bulk_create(bookings)
    BookingEvent.objects.bulk_create(
        [BookingEvent(booking=booking, verb=verb, state=booking.state) for booking, verb in events]
    )


def _next_monday(today) -> datetime.date:
    return today + datetime.timedelta(days=7 - today.weekday())


def _pending_request_load(family, evening: Activity, today, agent) -> None:
    """A reservation request of next week's evening care, awaiting an agent, who wrote to the
    family about it without deciding (« Mes demandes » shows it as a new message)."""
    if BookingRequest.objects.filter(family=family, activity=evening).exists():
        return
    subscription = family.subscriptions.select_related("user").first()
    children = _children(family)[:1]
    if subscription is None or not children:
        return
    monday = _next_monday(today)
    request = request_submit(
        family=family,
        user=subscription.user,
        kind=BookingRequest.Kind.RESERVATION,
        activity=evening,
        children=children,
        date_from=monday,
        date_to=monday + datetime.timedelta(days=4),
        weekdays=[0, 1, 3, 4],
        submission_key="demo-evening-request",
        comment="Réunion tardive au travail cette semaine.",
    )
    request_message_send(
        collectivity=family.collectivity,
        kind=request_kind("reservation"),
        subject=request,
        agent=agent,
        text="Bonjour, pouvez-vous nous préciser l’heure à laquelle vous viendrez chercher "
        "votre enfant le soir ? L’accueil ferme à 18 h 30.",
    )


def _waiting_list_load(families, holiday: Activity, agent, today) -> None:
    """The first two days of the holiday centre asked for by more children than places."""
    slots = list(
        Slot.objects.filter(activity=holiday, is_orphan=False, date__gt=today).order_by("date")[:2]
    )
    children = [
        enrolment.child_id
        for enrolment in Enrolment.objects.filter(
            activity=holiday, status=Enrolment.Status.ACCEPTED
        )
        .filter(Q(child__family__in=families))
        .order_by("child__family__external_ref", "child__birth_date", "pk")
    ]
    if not slots or not children:
        return
    # reserve() leaves a child's live booking as it is: a second run changes nothing.
    reserve(
        pairs=[(child_id, slot.pk) for slot in slots for child_id in children],
        actor=agent,
        verb=BookingEvent.Verb.BOOKED,
    )
