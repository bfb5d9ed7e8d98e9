"""The cached planning (planning.grid_cache, planning.versions): read twice, it is computed
once; after each kind of write it shows, it is computed again for the family concerned and
only for it; a new day, a passed deadline and another family's move on a waiting list show at
once; one family's cached grid is never another's."""

import datetime
import re

from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest
import time_machine

from family.models import Family
from planning.models import Activity, ActivityClosure, Booking, BookingRequest
from planning.services import (
    attendance_mark,
    closure_add,
    enrolment_create,
    request_cancel,
    request_submit,
    reserve,
)
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

PARIS = datetime.timezone(datetime.timedelta(hours=1))  # December: UTC+1
NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
DECEMBER = datetime.date(2026, 12, 10)
State = Booking.State


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _family(collectivity, *, name, child_name, activity):
    family = FamilyFactory(collectivity=collectivity, name=name)
    parent = UserFactory(email=f"{name.lower()}@example.test")
    SubscriptionFactory(user=parent, family=family)
    child = ChildFactory(family=family, first_name=child_name)
    EnrolmentFactory(child=child, activity=activity)
    return family, parent, child


@pytest.fixture
def world(collectivity_a):
    """Martin (Léa) at the canteen, Petit (Tom) at the after-school care of the same
    collectivity, each with December slots; Petit's cached grid must stay valid whatever
    happens to Martin's."""
    canteen = ActivityFactory(collectivity=collectivity_a, name="Cantine")
    care = ActivityFactory(collectivity=collectivity_a, name="Garderie du soir")
    days = [datetime.date(2026, 12, d) for d in (1, 3, 4, 7, 8, 10, 11)]
    canteen_slots = {day: SlotFactory(activity=canteen, date=day) for day in days}
    care_slots = {day: SlotFactory(activity=care, date=day) for day in days}
    martin, martin_parent, lea = _family(
        collectivity_a, name="Martin", child_name="Léa", activity=canteen
    )
    petit, petit_parent, tom = _family(
        collectivity_a, name="Petit", child_name="Tom", activity=care
    )
    BookingFactory(child=lea, slot=canteen_slots[days[0]], state=State.RESERVED)
    BookingFactory(child=tom, slot=care_slots[days[0]], state=State.RESERVED)
    return {
        "canteen": canteen,
        "care": care,
        "canteen_slots": canteen_slots,
        "care_slots": care_slots,
        "martin": martin,
        "martin_parent": martin_parent,
        "lea": lea,
        "petit": petit,
        "petit_parent": petit_parent,
        "tom": tom,
    }


def read(client, parent, *, date=DECEMBER, view="mois", **params):
    """(page, computed): computed is False when the grid came from the cache (neither the
    cells' first query, the enrolments of the period, nor their bookings' query ran; a miss
    after a write of bookings only reads the bookings, ``grid_cache.entry_current``)."""
    client.force_login(parent)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("planning:index"), {"vue": view, "date": date.isoformat(), **params}
        )
    assert response.status_code == 200
    computed = any(
        q["sql"].startswith('SELECT "planning_enrolment"."child_id"')
        or '"planning_booking"."offer_expires_at"' in q["sql"]
        for q in queries
    )
    return response.content.decode(), computed


def cell(page, slot, child) -> str:
    """The grid's copy of one slot of one child."""
    match = re.search(
        rf'<li class="slot [^>]*>(?:(?!</li>).)*?id="infobulle-{slot.pk}-{child.pk}".*?</li>',
        page,
        re.S,
    )
    assert match, f"no cell for slot {slot.pk} and child {child.pk}"
    return match.group(0)


def warm(client, world):
    """Both families' grids computed once and then served from the cache."""
    for parent in (world["martin_parent"], world["petit_parent"]):
        read(client, parent)
        _page, computed = read(client, parent)
        assert not computed


# --- the cache is used ------------------------------------------------------------------------


def test_the_second_read_comes_from_the_cache(client_a, world):
    client_a.force_login(world["martin_parent"])
    url = f"{reverse('planning:index')}?vue=mois&date={DECEMBER.isoformat()}"
    client_a.get(url)  # per-process caches (site, content types)
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        first = client_a.get(url).content.decode()
    with CaptureQueriesContext(connection) as hot:
        second = client_a.get(url).content.decode()
    assert len(hot) <= len(cold) - 4  # enrolments, slots, bookings, request lines
    assert "Léa" in second
    # The same page but the frame's CSRF token and CSP nonce, new at each request.
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|nonce="[^"]+"')
    assert token.sub("", first) == token.sub("", second)


def test_the_frame_is_not_cached(client_a, world):
    """A message of the request (a wrong « vue ») shows with a cached grid."""
    read(client_a, world["martin_parent"])
    page, computed = read(client_a, world["martin_parent"], view="annee")
    assert "Cet affichage n’existe pas" in page
    page, computed = read(client_a, world["martin_parent"])
    assert not computed
    assert "Cet affichage n’existe pas" not in page


# --- every kind of write, for the family concerned and not another ---------------------------


def _reserve_through_the_engine(world):
    slot = world["canteen_slots"][datetime.date(2026, 12, 3)]
    with transaction.atomic():
        reserve(pairs=[(world["lea"].pk, slot.pk)])
    return slot, "Réservé / présent"


def _request_submitted(world):
    request_submit(
        family=world["martin"],
        user=world["martin_parent"],
        kind=BookingRequest.Kind.RESERVATION,
        activity=world["canteen"],
        children=[world["lea"]],
        date_from=datetime.date(2026, 12, 10),
        date_to=datetime.date(2026, 12, 10),
        weekdays=[0, 1, 2, 3, 4],
    )
    return world["canteen_slots"][datetime.date(2026, 12, 10)], "Demande en attente de validation"


def _enrolment_created(world, collectivity):
    wednesday = ActivityFactory(collectivity=collectivity, name="Mercredi loisirs", weekdays=[2])
    slot = SlotFactory(activity=wednesday, date=datetime.date(2026, 12, 9))
    enrolment_create(
        child=world["lea"],
        activity=wednesday,
        start_date=wednesday.start_date,
        end_date=wednesday.end_date,
        weekdays=[2],
        agent=None,
    )
    return slot, "Mercredi loisirs"


def test_a_booking_through_the_engine(client_a, world):
    warm(client_a, world)
    slot, words = _reserve_through_the_engine(world)
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert words in cell(page, slot, world["lea"])
    _page, computed = read(client_a, world["petit_parent"])
    assert not computed


def test_a_request_and_its_cancellation(client_a, world):
    warm(client_a, world)
    slot = world["canteen_slots"][datetime.date(2026, 12, 10)]
    assert "Inscrit, réservable" in cell(
        read(client_a, world["martin_parent"])[0], slot, world["lea"]
    )
    _slot, words = _request_submitted(world)
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert words in cell(page, slot, world["lea"])
    assert not read(client_a, world["petit_parent"])[1]

    read(client_a, world["martin_parent"])
    request_cancel(
        request=BookingRequest.objects.get(family=world["martin"]), user=world["martin_parent"]
    )
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert "Inscrit, réservable" in cell(page, slot, world["lea"])
    assert not read(client_a, world["petit_parent"])[1]


def test_an_enrolment(client_a, world, collectivity_a):
    warm(client_a, world)
    slot, words = _enrolment_created(world, collectivity_a)
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert words in cell(page, slot, world["lea"])
    assert not read(client_a, world["petit_parent"])[1]


def test_an_enrolment_ending(client_a, world):
    warm(client_a, world)
    enrolment = world["lea"].enrolments.get()
    enrolment.end_date = datetime.date(2026, 11, 30)
    enrolment.save()
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert 'id="infobulle-' not in page
    assert not read(client_a, world["petit_parent"])[1]


def test_a_childs_name(client_a, world):
    warm(client_a, world)
    lea = world["lea"]
    lea.first_name = "Léonie"
    lea.save()
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert "Léonie" in page
    assert not read(client_a, world["petit_parent"])[1]


def test_a_slot_of_the_activity(client_a, world):
    warm(client_a, world)
    slot = world["canteen_slots"][datetime.date(2026, 12, 10)]
    slot.start_time = datetime.time(12, 15)
    slot.save()
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert "12\u00a0h\u00a015" in cell(page, slot, world["lea"])
    assert not read(client_a, world["petit_parent"])[1]


def test_a_closure_of_the_activity(client_a, world):
    """A day without activity (a bulk removal of its slot by ``slots_generate``)."""
    warm(client_a, world)
    day = datetime.date(2026, 12, 10)
    slot = world["canteen_slots"][day]
    closure_add(closure=ActivityClosure(activity=world["canteen"], date=day), actor=None)
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert f'id="infobulle-{slot.pk}-{world["lea"].pk}"' not in page
    assert not read(client_a, world["petit_parent"])[1]


def test_the_activity_itself(client_a, world):
    warm(client_a, world)
    canteen = Activity.objects.get(pk=world["canteen"].pk)
    canteen.name = "Restaurant scolaire"
    canteen.save()
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert "Restaurant scolaire" in page
    assert not read(client_a, world["petit_parent"])[1]


def test_an_attendance_register(client_a, world, _now):
    """A bulk update of bookings by an agent."""
    day = datetime.date(2026, 12, 1)
    slot = world["canteen_slots"][day]
    _now.move_to(datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.UTC))
    warm(client_a, world)
    attendance_mark(slot=slot, marks={world["lea"].pk: "absent"}, agent=None)
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert "Absence facturée" in cell(page, slot, world["lea"])  # the canteen bills it
    assert not read(client_a, world["petit_parent"])[1]


def test_a_write_left_without_bump_would_show_stale(client_a, world):
    """The test's own check: a bulk write that bumps no version is NOT seen (so the tests
    above do prove the bumps)."""
    warm(client_a, world)
    Booking.objects.filter(child=world["lea"]).update(state=State.ABSENT)
    page, computed = read(client_a, world["martin_parent"])
    assert not computed
    assert "Réservé / présent" in page


def test_a_stale_instance_saved_keeps_the_version(world):
    """``save()`` of a family read before a bump does not put the old number back (the
    counter would come back to a value whose key was already used)."""
    stale = Family.objects.get(pk=world["martin"].pk)
    before = stale.planning_version
    world["lea"].save()
    stale.name = "Martin-Durand"
    stale.save()
    stale.refresh_from_db()
    assert stale.name == "Martin-Durand"
    assert stale.planning_version == before + 2  # the child's save, then the family's own


# --- time -----------------------------------------------------------------------------------


def test_a_new_day(client_a, world, _now):
    read(client_a, world["martin_parent"], date=datetime.date(2026, 11, 23))
    page, computed = read(client_a, world["martin_parent"], date=datetime.date(2026, 11, 23))
    assert not computed
    today = re.search(r'planning-day--today[^>]*>.*?planning-day__long">([^<]+)<', page, re.S)
    assert today.group(1).startswith("lundi 23")
    _now.move_to(datetime.datetime(2026, 11, 24, 8, 0, tzinfo=datetime.UTC))
    page, computed = read(client_a, world["martin_parent"], date=datetime.date(2026, 11, 23))
    assert computed
    today = re.search(r'planning-day--today[^>]*>.*?planning-day__long">([^<]+)<', page, re.S)
    assert today.group(1).startswith("mardi 24")


def test_the_booking_deadline_passes(client_a, world, _now):
    """The canteen closes reservations the day before at 10:00: read at 9:30, the cell is
    bookable; at 10:01 the same day it no longer is, although nothing was written (and the
    entry's hour of life has not run out)."""
    canteen = world["canteen"]
    canteen.booking_notice_days = 1
    canteen.notice_deadline_time = datetime.time(10, 0)
    canteen.save()
    slot = world["canteen_slots"][datetime.date(2026, 12, 8)]
    _now.move_to(datetime.datetime(2026, 12, 7, 9, 30, tzinfo=PARIS))  # 31 min before
    read(client_a, world["martin_parent"])
    page, computed = read(client_a, world["martin_parent"])
    assert not computed
    assert "Inscrit, réservable" in cell(page, slot, world["lea"])
    _now.move_to(datetime.datetime(2026, 12, 7, 10, 1, tzinfo=PARIS))
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert "Inscrit, non réservable" in cell(page, slot, world["lea"])
    # The next day's slot is still bookable, and the page is cached again until its deadline.
    assert "Inscrit, réservable" in cell(
        page, world["canteen_slots"][datetime.date(2026, 12, 10)], world["lea"]
    )
    assert not read(client_a, world["martin_parent"])[1]


def test_a_slot_starting_closes_its_day(client_a, world, _now):
    canteen = world["canteen"]
    canteen.booking_notice_days = 0
    canteen.save()
    slot = world["canteen_slots"][datetime.date(2026, 12, 8)]
    _now.move_to(datetime.datetime(2026, 12, 8, 11, 0, tzinfo=PARIS))
    read(client_a, world["martin_parent"])
    assert "Inscrit, réservable" in cell(
        read(client_a, world["martin_parent"])[0], slot, world["lea"]
    )
    _now.move_to(datetime.datetime(2026, 12, 8, 11, 31, tzinfo=PARIS))
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert "Inscrit, non réservable" in cell(page, slot, world["lea"])


# --- another family's move on a waiting list --------------------------------------------------


def test_a_waiting_position_follows_the_others(client_a, world, collectivity_a):
    """Tom waits ahead of Léa; his family cancels: Léa's cached grid says position 1 at once
    (the grid itself still comes from the cache)."""
    slot = world["canteen_slots"][datetime.date(2026, 12, 10)]
    EnrolmentFactory(child=world["tom"], activity=world["canteen"])
    queued = datetime.datetime(2026, 11, 20, 8, 0, tzinfo=datetime.UTC)
    ahead = BookingFactory(child=world["tom"], slot=slot, state=State.WAITING, queued_at=queued)
    BookingFactory(
        child=world["lea"],
        slot=slot,
        state=State.WAITING,
        queued_at=queued + datetime.timedelta(minutes=1),
    )
    read(client_a, world["martin_parent"])
    page, computed = read(client_a, world["martin_parent"])
    assert not computed
    assert "En liste d’attente (position 2)" in cell(page, slot, world["lea"])
    Booking.objects.filter(pk=ahead.pk).update(state=State.CANCELLED)  # no version of Martin's
    page, computed = read(client_a, world["martin_parent"])
    assert not computed
    assert "En liste d’attente (position 1)" in cell(page, slot, world["lea"])


# --- scoping --------------------------------------------------------------------------------


def test_a_familys_cached_grid_is_never_anothers(client_a, collectivity_a):
    """Two families alike (same activity, same slots, same filters): the second reads its own
    grid, never the first one's from the cache."""
    canteen = ActivityFactory(collectivity=collectivity_a, name="Cantine")
    slot = SlotFactory(activity=canteen, date=datetime.date(2026, 12, 10))
    _f1, parent_1, lea = _family(collectivity_a, name="Martin", child_name="Léa", activity=canteen)
    _f2, parent_2, tom = _family(collectivity_a, name="Petit", child_name="Tom", activity=canteen)
    page_1, _computed = read(client_a, parent_1)
    assert "Léa" in cell(page_1, slot, lea)
    page_2, computed = read(client_a, parent_2)
    assert computed
    assert "Tom" in cell(page_2, slot, tom)
    assert "Léa" not in page_2
    assert f'infobulle-{slot.pk}-{lea.pk}"' not in page_2
    # Each one's cached copy stays its own.
    page_1, computed = read(client_a, parent_1)
    assert not computed
    assert "Tom" not in page_1
    page_2, computed = read(client_a, parent_2)
    assert not computed
    assert "Léa" not in page_2


def test_filters_are_part_of_the_key(client_a, world):
    read(client_a, world["martin_parent"])
    page, computed = read(client_a, world["martin_parent"], filtre="1")
    assert computed  # nothing chosen: another planning
    assert "hidden>" in page


def test_an_activity_out_of_reach_is_not_served_from_the_cache(client_a, world, collectivity_b):
    """The key does not list the activities: a cached entry checks its own against the rows
    read now. An activity that left the collectivity (a bulk write, no signal, no version)
    is missing there, so the entry is not used and the activity is not shown."""
    warm(client_a, world)
    assert "Cantine" in read(client_a, world["martin_parent"])[0]
    Activity.objects.filter(pk=world["canteen"].pk).update(collectivity=collectivity_b)
    page, _computed = read(client_a, world["martin_parent"])  # no activity: no cells to read
    assert "Cantine" not in page
    assert "Aucun de vos enfants n’est inscrit à une activité" in page
    # Petit's activity is still at its version: Petit's entry is still good.
    page, computed = read(client_a, world["petit_parent"])
    assert not computed


def test_an_account_with_families_elsewhere_only_gets_the_no_family_page(
    client_a, client_b, world, collectivity_b
):
    """The families read for the key are this collectivity's: an account subscribed only in
    another collectivity, whose planning there is cached, gets the « no family » page here."""
    other = ActivityFactory(collectivity=collectivity_b, name="Centre de loisirs B")
    SlotFactory(activity=other, date=DECEMBER)
    _family_b, parent_b, _child = _family(
        collectivity_b, name="Ailleurs", child_name="Zoé", activity=other
    )
    page, _computed = read(client_b, parent_b)
    assert "Zoé" in page  # cached in collectivity B
    client_a.force_login(parent_b)
    response = client_a.get(reverse("planning:index"), {"vue": "mois", "date": "2026-12-10"})
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "family/no_family.html"
    assert "Zoé" not in response.content.decode()
    assert "Centre de loisirs B" not in response.content.decode()
