"""Acknowledgement of receipt of reservation and absence requests (issue #12, item 2): sent at
once, in the request's transaction, in the two layouts the seeds show — one slot (child,
activity, day, times, what happened) and a period (children, dates, weekdays, the days grouped
by outcome and month, the days left out with their reason)."""

import datetime
import re
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest
import time_machine

from notifications.models import OutboxEmail
from planning.calendar import activity_open_dates
from planning.models import Booking, BookingRequest, Slot
from planning.services import enrolment_request, request_submit
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

Kind = BookingRequest.Kind
State = Booking.State
D = datetime.date
# Monday 23 November 2026, 09:00 in Paris.
NOW = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=datetime.UTC)
WEDNESDAY = D(2027, 1, 13)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def parent(collectivity_a):
    return UserFactory(email="marie.dupont@example.test", first_name="Marie", last_name="Dupont")


@pytest.fixture
def family(collectivity_a, parent):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    SubscriptionFactory(family=family, user=parent)
    return family


@pytest.fixture
def lea(family):
    return ChildFactory(family=family, first_name="Léa")


@pytest.fixture
def tom(family):
    return ChildFactory(family=family, first_name="Tom")


def wednesday_activity(collectivity, **fields):
    """« Accueil du mercredi », 8 h 30 – 17 h 00, one slot on WEDNESDAY."""
    values = {
        "name": "Accueil du mercredi",
        "weekdays": [2],
        "start_time": datetime.time(8, 30),
        "end_time": datetime.time(17, 0),
        "requires_approval": False,
        "capacity": 10,
        "unit_price": Decimal("12.40"),
        **fields,
    }
    activity = ActivityFactory(collectivity=collectivity, **values)
    SlotFactory(activity=activity, date=WEDNESDAY)
    return activity


def submit(family, parent, activity, children, start, end, weekdays, kind=Kind.RESERVATION):
    return request_submit(
        family=family,
        user=parent,
        kind=kind,
        activity=activity,
        children=children,
        date_from=start,
        date_to=end,
        weekdays=weekdays,
    )


def one_day(family, parent, activity, children, kind=Kind.RESERVATION):
    return submit(family, parent, activity, children, WEDNESDAY, WEDNESDAY, [2], kind)


def acknowledgement(parent) -> OutboxEmail:
    return OutboxEmail.objects.filter(to=[parent.email]).latest("pk")


def html_text(html: str) -> str:
    """The words of the HTML part, tags removed, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join(text.replace("&#x27;", "'").replace("&nbsp;", " ").split())


def assert_one_slot_layout(email, *, outcome: str, request):
    link = "http://localhost" + reverse("planning:request_detail", args=[request.pk])
    for body in (email.body_text, html_text(email.body_html)):
        assert "Bonjour Marie Dupont," in body
        assert "Léa" in body
        assert "Accueil du mercredi" in body
        assert "mercredi 13 janvier 2027" in body
        assert "de 8 h 30 à 17 h 00" in body
        assert outcome in body, body
        assert link in body
    assert f'href="{link}"' in email.body_html


# --- one slot


def test_one_slot_pending(collectivity_a, family, parent, lea):
    activity = wednesday_activity(collectivity_a, requires_approval=True)
    EnrolmentFactory(child=lea, activity=activity)
    request = one_day(family, parent, activity, [lea])

    email = acknowledgement(parent)
    assert email.subject == (
        "[Ville de Alpha] Accusé de réception de votre demande de réservation — Accueil du mercredi"
    )
    assert_one_slot_layout(
        email, outcome="Demande en attente de validation par le service", request=request
    )
    assert (
        "Ville de Alpha étudiera votre demande ; vous serez informé(e) de sa décision par e-mail."
    ) in email.body_text


def test_one_slot_accepted_at_once(collectivity_a, family, parent, lea):
    activity = wednesday_activity(collectivity_a)
    EnrolmentFactory(child=lea, activity=activity)
    request = one_day(family, parent, activity, [lea])

    email = acknowledgement(parent)
    assert_one_slot_layout(email, outcome="Suite donnée : Réservation acceptée", request=request)
    assert "apparaît déjà dans votre planning" in email.body_text


def test_one_slot_waiting_list_gives_the_actual_position(collectivity_a, family, parent, lea):
    activity = wednesday_activity(collectivity_a, capacity=1)
    slot = Slot.objects.get(activity=activity)
    other_family = FamilyFactory(collectivity=collectivity_a)
    BookingFactory(child=ChildFactory(family=other_family), slot=slot, state=State.RESERVED)
    BookingFactory(
        child=ChildFactory(family=other_family), slot=slot, state=State.WAITING, queued_at=NOW
    )
    EnrolmentFactory(child=lea, activity=activity)
    request = one_day(family, parent, activity, [lea])

    email = acknowledgement(parent)
    assert_one_slot_layout(
        email,
        outcome="Suite donnée : En liste d’attente, position 2 (le créneau est complet)",
        request=request,
    )
    assert "Si une place se libère" in email.body_text


def _booked(activity, child):
    EnrolmentFactory(child=child, activity=activity)
    BookingFactory(child=child, slot=Slot.objects.get(activity=activity), state=State.RESERVED)


def test_one_slot_billed_absence_with_its_cost(collectivity_a, family, parent, lea):
    # Declared on the Tuesday before: past the two-day cancellation notice.
    activity = wednesday_activity(collectivity_a, cancellation_notice_days=2)
    _booked(activity, lea)
    with time_machine.travel(datetime.datetime(2027, 1, 12, 8, 0, tzinfo=datetime.UTC)):
        request = one_day(family, parent, activity, [lea], kind=Kind.ABSENCE)

    email = acknowledgement(parent)
    assert "demande d’absence" in email.subject
    assert_one_slot_layout(
        email,
        outcome="Absence enregistrée, facturée 12,40 € (déclarée après le délai d’annulation)",
        request=request,
    )


def test_one_slot_unbilled_absence(collectivity_a, family, parent, lea):
    activity = wednesday_activity(collectivity_a)
    _booked(activity, lea)
    request = one_day(family, parent, activity, [lea], kind=Kind.ABSENCE)

    email = acknowledgement(parent)
    assert "Nous avons bien reçu votre demande d’absence" in email.body_text
    assert_one_slot_layout(
        email, outcome="Suite donnée : Absence enregistrée, non facturée", request=request
    )


def test_the_acknowledgement_is_written_in_the_requests_transaction(
    collectivity_a, family, parent, lea
):
    activity = wednesday_activity(collectivity_a)
    EnrolmentFactory(child=lea, activity=activity)
    with transaction.atomic():
        one_day(family, parent, activity, [lea])
        assert OutboxEmail.objects.filter(to=[parent.email]).count() == 1
        transaction.set_rollback(True)
    assert not OutboxEmail.objects.filter(to=[parent.email]).exists()


def test_a_parent_without_a_name_is_greeted_without_one(collectivity_a, family, lea):
    anonymous = UserFactory(email="sans.nom@example.test", first_name="", last_name="")
    SubscriptionFactory(family=family, user=anonymous)
    activity = wednesday_activity(collectivity_a)
    EnrolmentFactory(child=lea, activity=activity)
    one_day(family, anonymous, activity, [lea])

    text = acknowledgement(anonymous).body_text
    assert "Bonjour,\n" in text


# --- a period of 180 days


def period_activity(collectivity):
    """Open every weekday of the school year but holidays; the slots of the period exist."""
    activity = ActivityFactory(
        collectivity=collectivity,
        name="Accueil périscolaire du soir",
        weekdays=[0, 1, 3, 4],
        start_time=datetime.time(16, 30),
        end_time=datetime.time(18, 30),
        requires_approval=False,
        capacity=10,
    )
    Slot.objects.bulk_create(
        Slot(
            activity=activity,
            date=day,
            start_time=activity.start_time,
            end_time=activity.end_time,
            capacity=activity.capacity,
        )
        for day in activity_open_dates(activity)
        if D(2027, 1, 4) <= day <= D(2027, 7, 2)
    )
    return activity


def test_a_180_day_request_reads_at_a_glance(collectivity_a, family, parent, lea, tom):
    activity = period_activity(collectivity_a)
    EnrolmentFactory(child=lea, activity=activity)
    # Tom is enrolled until the end of June only; Léa already has Monday 11 January.
    EnrolmentFactory(child=tom, activity=activity, end_date=D(2027, 6, 30))
    BookingFactory(child=lea, slot=Slot.objects.get(activity=activity, date=D(2027, 1, 11)))
    # Thursday 14 January is full: both children go on its waiting list.
    full = Slot.objects.get(activity=activity, date=D(2027, 1, 14))
    full.capacity = 0
    full.save()

    request = submit(family, parent, activity, [lea, tom], D(2027, 1, 4), D(2027, 7, 2), [0, 2, 3])

    text = acknowledgement(parent).body_text
    lines = text.splitlines()
    # One line more than before: « Demandé : 123 jours, 2 enfants (… réservations) ».
    assert len(lines) < 41, text
    assert "Demandé : " in text and "2 enfants (" in text
    assert "Bonjour Marie Dupont," in text
    assert "Enfants : Léa et Tom" in text
    assert "Période : du lundi 4 janvier 2027 au vendredi 2 juillet 2027" in text
    assert "Jours choisis : lundi, mercredi, jeudi" in text
    # Grouped by outcome then by month; the days both children share are said once.
    assert "Réservation acceptée (Léa et Tom) — 38 jours chacun\n" in text
    assert "  janvier 2027 : 4, 7, 18, 21, 25, 28 (6 jours)\n" in text
    assert "  février 2027 : 1er, 4, 8, 11, 15, 18 (6 jours)\n" in text
    assert "Réservation acceptée (Tom) — 1 jour : lundi 11 janvier 2027\n" in text
    assert (
        "En liste d’attente (Léa et Tom) — 1 jour chacun : jeudi 14 janvier 2027 "
        "(Léa position 1, Tom position 2)\n"
    ) in text
    # Left out, with the reasons the preview gives.
    assert "Jours non retenus :\n" in text
    assert "- Fermé ce jour de la semaine — tous les mercredis\n" in text
    assert "- Déjà réservé (Léa) — lundi 11 janvier 2027\n" in text
    assert "- Vacances scolaires : Vacances de printemps — 19, 22, 26, 29 avril 2027\n" in text
    assert "- Jour férié — lundi 29 mars 2027 (Lundi de Pâques), jeudi 6 mai 2027" in text
    assert "- Enfant non inscrit à cette date (Tom) — jeudi 1er juillet 2027\n" in text
    # The link and the HTML part say the same.
    link = "http://localhost" + reverse("planning:request_detail", args=[request.pk])
    assert link in text
    html = html_text(acknowledgement(parent).body_html)
    for words in (
        "Réservation acceptée (Léa et Tom) — 38 jours chacun",
        "janvier 2027 : 4, 7, 18, 21, 25, 28 (6 jours)",
        "(Léa position 1, Tom position 2)",
        "Fermé ce jour de la semaine — tous les mercredis",
        "Jour férié — lundi 29 mars 2027 (Lundi de Pâques)",
        "Enfant non inscrit à cette date (Tom) — jeudi 1er juillet 2027",
        link,
    ):
        assert words in html, words


# --- pre-enrolment


def test_the_pre_enrolment_acknowledgement_names_child_activity_period_and_weekdays(
    collectivity_a, family, parent, lea
):
    collectivity_a.name_with_article = "la Ville d’Alpha"
    collectivity_a.save()
    activity = ActivityFactory(collectivity=collectivity_a, name="Restauration scolaire")
    enrolment_request(
        child=lea,
        activity=activity,
        start_date=D(2027, 1, 4),
        end_date=D(2027, 7, 2),
        weekdays=[0, 1, 3],
        user=parent,
    )
    email = acknowledgement(parent)
    link = "http://localhost" + reverse("planning:enrolments")
    for body in (email.body_text, html_text(email.body_html)):
        assert "Bonjour Marie Dupont," in body
        assert "pré-inscription de Léa à l’activité « Restauration scolaire »" in body
        assert "Elle sera étudiée par la Ville d’Alpha" in body
        assert "Période : du lundi 4 janvier 2027 au vendredi 2 juillet 2027" in body
        assert "Semaine type : lundi, mardi, jeudi" in body
        assert link in body


def test_the_link_is_on_the_requests_own_collectivity_host(collectivity_a, collectivity_b):
    parent = UserFactory(email="parent.beta@example.test")
    family = FamilyFactory(collectivity=collectivity_b)
    SubscriptionFactory(family=family, user=parent)
    child = ChildFactory(family=family, first_name="Inès")
    activity = wednesday_activity(collectivity_b)
    EnrolmentFactory(child=child, activity=activity)
    request = one_day(family, parent, activity, [child])

    email = acknowledgement(parent)
    link = collectivity_b.base_url.rstrip("/") + reverse(
        "planning:request_detail", args=[request.pk]
    )
    assert link.startswith("http://autre.localhost")
    assert link in email.body_text and f'href="{link}"' in email.body_html
    assert "http://localhost/" not in email.body_text


def test_the_acknowledgement_costs_the_same_queries_for_2_or_20_weeks(
    collectivity_a, family, parent, lea, tom
):
    activity = period_activity(collectivity_a)
    for child in (lea, tom):
        EnrolmentFactory(child=child, activity=activity)
    Slot.objects.filter(activity=activity).update(capacity=1)  # Tom waits every day

    def queries(start, end):
        with CaptureQueriesContext(connection) as captured:
            submit(family, parent, activity, [lea, tom], start, end, [0, 2, 3])
        return len(captured)

    queries(D(2027, 1, 4), D(2027, 1, 8))  # warms the content types' cache
    short = queries(D(2027, 1, 11), D(2027, 1, 22))
    long = queries(D(2027, 2, 1), D(2027, 6, 25))
    assert short == long
