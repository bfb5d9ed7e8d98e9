"""The parent's « Planning des activités »: views, states and legend, filters, navigation,
the slot page and its history, isolation between families and collectivities, module gate."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone

import pytest
import time_machine

from planning.models import (
    Activity,
    Booking,
    BookingEvent,
    BookingRequest,
    BookingRequestLine,
    Enrolment,
)
from planning.selectors import (
    ABSENT,
    ABSENT_BILLED,
    BOOKABLE,
    CLOSED,
    PENDING,
    RESERVED,
    STATE_LEGEND,
    WAITING,
    display_state,
    planning_cells,
    slot_history,
)
from planning.selectors.planning import planning_grid_cells
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
State = Booking.State


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(collectivity_a, collectivity_b):
    """Family Martin (Léa, Hugo) in A: canteen (both) and Wednesday care (Léa) in December
    2026, with bookings in every state; family Petit in A and family Bernard in B, whose rows
    could leak."""
    family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    parent = UserFactory(email="claire.martin@example.test")
    SubscriptionFactory(user=parent, family=family)
    lea = ChildFactory(family=family, first_name="Léa", birth_date=datetime.date(2017, 3, 1))
    hugo = ChildFactory(family=family, first_name="Hugo", birth_date=datetime.date(2019, 6, 2))
    canteen = ActivityFactory(collectivity=collectivity_a, name="Cantine")
    wednesday = ActivityFactory(
        collectivity=collectivity_a,
        name="Mercredi loisirs",
        kind="wednesday",
        weekdays=[2],
        start_time=datetime.time(8, 30),
        end_time=datetime.time(17, 30),
    )
    not_enrolled = ActivityFactory(collectivity=collectivity_a, name="Judo du soir")
    EnrolmentFactory(child=lea, activity=canteen)
    EnrolmentFactory(child=hugo, activity=canteen)
    EnrolmentFactory(child=lea, activity=wednesday)
    # A pending enrolment does not show.
    EnrolmentFactory(child=hugo, activity=wednesday, status=Enrolment.Status.PENDING)

    days = [datetime.date(2026, 12, d) for d in (1, 3, 4, 7, 8, 10, 11, 14)]
    canteen_slots = {day: SlotFactory(activity=canteen, date=day) for day in days}
    wednesday_slots = {
        day: SlotFactory(activity=wednesday, date=day)
        for day in (datetime.date(2026, 12, 2), datetime.date(2026, 12, 9))
    }
    SlotFactory(activity=not_enrolled, date=datetime.date(2026, 12, 3))

    bookings = {
        "reserved": BookingFactory(child=lea, slot=canteen_slots[days[0]], state=State.RESERVED),
        "pending": BookingFactory(child=lea, slot=canteen_slots[days[1]], state=State.PENDING),
        "waiting": BookingFactory(
            child=lea,
            slot=canteen_slots[days[2]],
            state=State.WAITING,
            queued_at=NOW - datetime.timedelta(hours=1),
        ),
        "absent": BookingFactory(child=lea, slot=canteen_slots[days[3]], state=State.ABSENT),
        "billed": BookingFactory(child=lea, slot=canteen_slots[days[4]], state=State.ABSENT_BILLED),
        "present": BookingFactory(child=hugo, slot=canteen_slots[days[0]], state=State.PRESENT),
        "cancelled": BookingFactory(child=hugo, slot=canteen_slots[days[1]], state=State.CANCELLED),
        "offered": BookingFactory(
            child=hugo,
            slot=canteen_slots[days[2]],
            state=State.OFFERED,
            offer_expires_at=datetime.datetime(2026, 11, 24, 13, 0, tzinfo=datetime.UTC),
        ),
    }
    # Two children of other families wait before Léa on the same slot: she is third.
    other = FamilyFactory(collectivity=collectivity_a, name="Petit")
    other_child = ChildFactory(family=other, first_name="Zoé")
    EnrolmentFactory(child=other_child, activity=canteen)
    for hours in (3, 2):
        BookingFactory(
            child=ChildFactory(family=other),
            slot=canteen_slots[days[2]],
            state=State.WAITING,
            queued_at=NOW - datetime.timedelta(hours=hours),
        )
    BookingFactory(child=other_child, slot=canteen_slots[days[0]], state=State.RESERVED)

    family_b = FamilyFactory(collectivity=collectivity_b, name="Bernard")
    child_b = ChildFactory(family=family_b, first_name="Nina")
    activity_b = ActivityFactory(collectivity=collectivity_b, name="Cantine de Bêta")
    EnrolmentFactory(child=child_b, activity=activity_b)
    slot_b = SlotFactory(activity=activity_b, date=datetime.date(2026, 12, 3))
    BookingFactory(child=child_b, slot=slot_b, state=State.RESERVED)

    return {
        "family": family,
        "parent": parent,
        "lea": lea,
        "hugo": hugo,
        "canteen": canteen,
        "wednesday": wednesday,
        "not_enrolled": not_enrolled,
        "canteen_slots": canteen_slots,
        "wednesday_slots": wednesday_slots,
        "bookings": bookings,
        "other_child": other_child,
        "child_b": child_b,
        "activity_b": activity_b,
        "slot_b": slot_b,
        "days": days,
    }


@pytest.fixture
def parent_client(client_a, world):
    client_a.force_login(world["parent"])
    return client_a


def planning(client, **params):
    return client.get(reverse("planning:index"), params)


def slot_items(html: str) -> dict[tuple[int, int], str]:
    """(slot id, child id) → the <li> of that slot link."""
    items = {}
    for match in re.finditer(r'<li class="slot [^"]*"[^>]*>.*?</li>', html, re.S):
        link = re.search(r"/famille/planning/creneau/(\d+)/(\d+)/", match.group(0))
        items[(int(link.group(1)), int(link.group(2)))] = match.group(0)
    return items


# --- display state and legend -------------------------------------------------------------


@pytest.mark.parametrize(
    ("booking_state", "pending_absence", "expected"),
    [
        (None, False, BOOKABLE),
        (State.CANCELLED, False, BOOKABLE),
        (State.PENDING, False, PENDING),
        (State.RESERVED, False, RESERVED),
        (State.RESERVED, True, PENDING),
        (State.PRESENT, False, RESERVED),
        (State.WAITING, False, WAITING),
        (State.OFFERED, False, WAITING),
        (State.ABSENT, False, ABSENT),
        (State.ABSENT_BILLED, False, ABSENT_BILLED),
    ],
)
def test_display_state_mapping(booking_state, pending_absence, expected):
    assert display_state(booking_state, pending_absence) == expected


def test_display_state_pending_reservation_line_without_booking():
    assert display_state(None, False, pending_reservation=True) == PENDING
    # A day that can no longer be booked has its own state; a pending request still shows.
    assert display_state(None, False, closed=True) == CLOSED
    assert display_state(State.CANCELLED, False, closed=True) == CLOSED
    assert display_state(None, False, pending_reservation=True, closed=True) == PENDING
    with pytest.raises(ValueError):
        display_state("nonsense", False)


def test_legend_has_colour_symbol_and_text_for_each_state():
    assert list(STATE_LEGEND) == [
        BOOKABLE,
        CLOSED,
        PENDING,
        RESERVED,
        WAITING,
        ABSENT,
        ABSENT_BILLED,
    ]
    symbols = {entry.symbol for entry in STATE_LEGEND.values()}
    classes = {entry.css_class for entry in STATE_LEGEND.values()}
    assert len(symbols) == len(classes) == 7
    # No « … » (it reads as cut-off text) and no « ✗ » for an absence that is not billed.
    assert "…" not in symbols and "✗" not in symbols
    assert str(STATE_LEGEND[PENDING].label) == "Demande en attente de validation"
    assert str(STATE_LEGEND[ABSENT_BILLED].label) == "Absence facturée"


def test_planning_cells_states_positions_and_enrolment_cover(world):
    lea, hugo = world["lea"], world["hugo"]
    cells = planning_cells(
        family_children=[lea, hugo],
        activity_ids=None,
        start=datetime.date(2026, 12, 1),
        end=datetime.date(2026, 12, 31),
    )
    by_key = {(cell.slot.pk, cell.child.pk): cell for cell in cells}
    slots, days = world["canteen_slots"], world["days"]
    assert by_key[(slots[days[0]].pk, lea.pk)].state == RESERVED
    assert by_key[(slots[days[0]].pk, hugo.pk)].state == RESERVED  # present
    assert by_key[(slots[days[1]].pk, lea.pk)].state == PENDING
    assert by_key[(slots[days[1]].pk, hugo.pk)].state == BOOKABLE  # cancelled booking
    waiting = by_key[(slots[days[2]].pk, lea.pk)]
    assert (waiting.state, waiting.position) == (WAITING, 3)
    assert waiting.label == "En liste d’attente (position 3)"
    offered = by_key[(slots[days[2]].pk, hugo.pk)]
    assert offered.state == WAITING
    assert offered.label.startswith("Place proposée jusqu’au 24 novembre à 14\u00a0h")
    assert by_key[(slots[days[3]].pk, lea.pk)].state == ABSENT
    assert by_key[(slots[days[4]].pk, lea.pk)].state == ABSENT_BILLED
    assert by_key[(slots[days[5]].pk, lea.pk)].state == BOOKABLE
    # Hugo's Wednesday enrolment is only pending: none of his cells is on a Wednesday.
    wednesday_pks = {slot.pk for slot in world["wednesday_slots"].values()}
    assert {cell.child.pk for cell in cells if cell.slot.pk in wednesday_pks} == {lea.pk}
    # The activity nobody is enrolled in never shows.
    assert world["not_enrolled"] not in {cell.activity for cell in cells}
    assert cells == sorted(cells, key=lambda cell: (cell.date, cell.slot.start_time))


def test_the_planning_page_reads_the_same_cells_as_rows(world):
    """``planning_grid_cells`` (the page's two queries) gives what ``planning_cells`` gives:
    the same pairs, states, words and waiting-list positions (Léa is third on her list)."""
    children = [world["lea"], world["hugo"]]
    period = {"start": datetime.date(2026, 12, 1), "end": datetime.date(2026, 12, 31)}
    cells = planning_cells(family_children=children, activity_ids=None, **period)
    activities = sorted({cell.activity for cell in cells}, key=lambda a: (a.name, a.pk))
    rows = planning_grid_cells(
        children=children, activities=[*activities, world["not_enrolled"]], **period
    )

    def seen(cell):
        return (
            cell.slot.pk,
            cell.slot.start_time,
            cell.child.pk,
            cell.activity.pk,
            cell.state,
            cell.label,
            cell.booking_id,
            cell.position,
            cell.offer_expires_at,
            cell.pending_absence,
            cell.closed_reason,
        )

    assert [seen(cell) for cell in rows] == [seen(cell) for cell in cells]
    assert 3 in {cell.position for cell in rows}


def test_planning_cells_enrolment_period_limits_the_days(world):
    lea = world["lea"]
    enrolment = Enrolment.objects.get(child=lea, activity=world["canteen"])
    enrolment.start_date = datetime.date(2026, 12, 7)
    enrolment.save()
    cells = planning_cells(
        family_children=[lea],
        activity_ids=[world["canteen"].pk],
        start=datetime.date(2026, 12, 1),
        end=datetime.date(2026, 12, 31),
    )
    assert cells
    assert min(cell.date for cell in cells) == datetime.date(2026, 12, 7)


def test_pending_absence_line_shows_pending(world):
    lea = world["lea"]
    slot = world["canteen_slots"][world["days"][0]]  # Léa is RESERVED there
    request = BookingRequest.objects.create(
        family=world["family"],
        activity=world["canteen"],
        kind=BookingRequest.Kind.ABSENCE,
        date_from=slot.date,
        date_to=slot.date,
        weekdays=[slot.date.weekday()],
        created_by=world["parent"],
    )
    BookingRequestLine.objects.create(request=request, child=lea, slot=slot)
    cells = planning_cells(family_children=[lea], activity_ids=None, start=slot.date, end=slot.date)
    assert [(cell.state, cell.label) for cell in cells] == [
        (PENDING, "Absence en attente de validation")
    ]


# --- the planning page --------------------------------------------------------------------


def test_month_view_shows_states_legend_and_only_enrolled_activities(parent_client, world):
    response = planning(parent_client, vue="mois", date="2026-12-03")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Planning des activités</h1>" in html
    assert "Décembre 2026" in html
    for entry in STATE_LEGEND.values():
        assert str(entry.label) in html
    assert "En liste d’attente (position 3)" in html
    assert "Place proposée jusqu’au 24 novembre à 14\u00a0h" in html
    assert "Cantine" in html and "Mercredi loisirs" in html
    assert "Judo du soir" not in html  # same collectivity, nobody enrolled
    assert "Cantine de Bêta" not in html and "Nina" not in html  # collectivity B
    assert "Zoé" not in html  # another family of A
    items = slot_items(html)
    slots = world["canteen_slots"]
    lea, hugo = world["lea"], world["hugo"]
    assert (slots[world["days"][0]].pk, world["other_child"].pk) not in items
    # Each slot link shows first name, activity, time, symbol and text.
    reserved = items[(slots[world["days"][0]].pk, lea.pk)]
    assert "Léa" in reserved and "Cantine" in reserved and "11\u00a0h\u00a030" in reserved
    assert "slot__symbol" in reserved and "Réservé / présent" in reserved
    assert "state--reserved" in reserved
    billed = items[(slots[world["days"][4]].pk, lea.pk)]
    assert "state--absent-billed" in billed and "Absence facturée" in billed
    # Tooltip: activity, day and state, tied to the link.
    tip = f"infobulle-{slots[world['days'][0]].pk}-{hugo.pk}"
    assert f'aria-describedby="{tip}"' in html
    assert re.search(
        rf'role="tooltip" id="{tip}">Cantine — mardi 1er décembre 2026 — Réservé / présent<', html
    )
    # A 7-column grid with weekday headers.
    assert html.count('<th scope="col">') == 7
    assert "<caption" in html
    # Request buttons, list link, calendar link.
    assert reverse("planning:request_period", args=["reservation"]) in html
    assert reverse("planning:request_period", args=["absence"]) in html
    assert reverse("planning:list") in html
    assert reverse("planning:calendar") in html


def test_week_views_and_day_view(parent_client, world):
    html = planning(parent_client, vue="semaine", date="2026-12-03").content.decode()
    assert "Semaine du 30 novembre au 6 décembre 2026" in html
    assert html.count('<th scope="col"') == 7
    assert "Dimanche 6 décembre" in html

    html = planning(parent_client, vue="semaine5", date="2026-12-03").content.decode()
    assert html.count('<th scope="col"') == 5
    assert "Vendredi 4 décembre" in html and "Samedi 5 décembre" not in html
    items = slot_items(html)
    assert (world["wednesday_slots"][datetime.date(2026, 12, 2)].pk, world["lea"].pk) in items

    response = planning(parent_client, vue="jour", date="2026-12-02")
    html = response.content.decode()
    assert "Mercredi 2 décembre 2026" in html
    items = slot_items(html)
    assert list(items) == [
        (world["wednesday_slots"][datetime.date(2026, 12, 2)].pk, world["lea"].pk)
    ]
    assert "<table" not in html

    html = planning(parent_client, vue="jour", date="2026-12-05").content.decode()
    assert "Aucune activité affichée ce jour-là." in html
    assert not slot_items(html)


def test_navigation_links_keep_view_and_filters(parent_client, world):
    lea = world["lea"]
    canteen = world["canteen"]
    html = planning(
        parent_client,
        vue="mois",
        date="2026-12-15",
        filtre="1",
        enfant=[lea.pk],
        activite=[canteen.pk],
    ).content.decode()
    keep = f"filtre=1&amp;enfant={lea.pk}&amp;activite={canteen.pk}"
    assert f"vue=mois&amp;date=2026-11-01&amp;{keep}" in html  # Mois précédent
    assert f"vue=mois&amp;date=2027-01-01&amp;{keep}" in html  # Mois suivant
    assert f"vue=mois&amp;date=2026-11-23&amp;{keep}" in html  # Aujourd'hui
    assert f"vue=semaine5&amp;date=2026-12-15&amp;{keep}" in html
    assert "Mois précédent" in html and "Mois suivant" in html and "Aujourd’hui" in html

    html = planning(parent_client, vue="semaine", date="2026-12-15").content.decode()
    assert "vue=semaine&amp;date=2026-12-07" in html and "vue=semaine&amp;date=2026-12-21" in html
    assert "filtre=" not in html.split("data-planning-filters")[0]
    html = planning(parent_client, vue="jour", date="2026-12-15").content.decode()
    assert "vue=jour&amp;date=2026-12-14" in html and "vue=jour&amp;date=2026-12-16" in html


def test_default_is_current_month(parent_client, world):
    html = planning(parent_client).content.decode()
    assert "Novembre 2026" in html
    assert 'aria-current="date"' in html


def test_filters_hide_a_child_and_an_activity(parent_client, world):
    lea, hugo = world["lea"], world["hugo"]
    canteen, wednesday = world["canteen"], world["wednesday"]
    html = planning(
        parent_client,
        vue="mois",
        date="2026-12-03",
        filtre="1",
        enfant=[lea.pk],
        activite=[canteen.pk, wednesday.pk],
    ).content.decode()
    items = slot_items(html)
    hugo_items = [item for (_slot, child), item in items.items() if child == hugo.pk]
    lea_items = [item for (_slot, child), item in items.items() if child == lea.pk]
    assert hugo_items and all(" hidden>" in item.split("\n")[0] for item in hugo_items)
    assert lea_items and not any(" hidden>" in item.split("\n")[0] for item in lea_items)
    assert re.search(rf'id="filtre-enfant-{lea.pk}"[^>]*checked', html)
    assert not re.search(rf'id="filtre-enfant-{hugo.pk}"[^>]*checked', html)

    html = planning(
        parent_client,
        vue="mois",
        date="2026-12-03",
        filtre="1",
        enfant=[lea.pk, hugo.pk],
        activite=[wednesday.pk],
    ).content.decode()
    for (_slot, _child), item in slot_items(html).items():
        hidden = " hidden>" in item.split("\n")[0]
        assert hidden == (f'data-activity="{canteen.pk}"' in item)
    assert "2 créneaux affichés" in html  # Léa's two Wednesdays

    # An id of another family or collectivity in the filter is ignored.
    html = planning(
        parent_client,
        vue="mois",
        date="2026-12-03",
        filtre="1",
        enfant=[world["child_b"].pk, world["other_child"].pk, "x"],
        activite=[world["activity_b"].pk],
    ).content.decode()
    assert "Nina" not in html and "Zoé" not in html and "Cantine de Bêta" not in html
    assert "0 créneaux affichés" in html


def test_filter_form_works_without_javascript(parent_client, world):
    html = planning(parent_client, vue="semaine", date="2026-12-03").content.decode()
    form = html.split("data-planning-filters")[1].split("</form>")[0]
    assert 'method="get"' in html.split("data-planning-filters")[0].rsplit("<form", 1)[1]
    assert 'name="vue" value="semaine"' in form
    assert 'name="date" value="2026-12-03"' in form
    assert 'name="filtre" value="1"' in form
    assert form.count('role="switch"') == 4  # 2 children + 2 activities
    assert ">Filtrer</button>" in form
    for child in (world["lea"], world["hugo"]):
        assert f'<label for="filtre-enfant-{child.pk}">' in form


def test_bad_parameters_give_a_french_message(parent_client, world):
    response = planning(parent_client, vue="annee", date="demain")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cet affichage n’existe pas" in html
    assert "La date indiquée n’est pas valide" in html
    assert "Novembre 2026" in html


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("vue", ["mois", "semaine", "jour"])
def test_dates_out_of_range_show_today(parent_client, world, date, vue):
    """Issue #11, item 5: ``date=9999-12-31`` or ``0001-01-01`` answered 500 (OverflowError)."""
    response = planning(parent_client, vue=vue, date=date)
    assert response.status_code == 200
    assert "Cette date est trop éloignée" in response.content.decode()


def test_anonymous_is_sent_to_log_in(client_a, world):
    response = planning(client_a)
    assert response.status_code == 302
    assert "/connexion/" in response["Location"] or "login" in response["Location"]


def test_module_planning_off_answers_404(parent_client, world, collectivity_a):
    slot = world["canteen_slots"][world["days"][0]]
    collectivity_a.module_planning = False
    collectivity_a.save()
    for url in (
        reverse("planning:index"),
        reverse("planning:slot", args=[slot.pk, world["lea"].pk]),
        reverse("planning:calendar"),
    ):
        assert parent_client.get(url).status_code == 404, url


# --- the slot page ------------------------------------------------------------------------


def test_slot_page_shows_facts_state_history_and_action(parent_client, world, agent_a):
    lea = world["lea"]
    slot = world["canteen_slots"][world["days"][1]]  # Léa: PENDING
    booking = world["bookings"]["pending"]
    request = BookingRequest.objects.create(
        family=world["family"],
        activity=world["canteen"],
        kind=BookingRequest.Kind.RESERVATION,
        date_from=slot.date,
        date_to=slot.date,
        weekdays=[slot.date.weekday()],
        created_by=world["parent"],
    )
    line = BookingRequestLine.objects.create(request=request, child=lea, slot=slot)
    BookingEvent.objects.create(
        booking=booking,
        verb=BookingEvent.Verb.REQUESTED,
        state=State.PENDING,
        request_line=line,
        actor=world["parent"],
    )
    BookingEvent.objects.create(
        booking=booking,
        verb=BookingEvent.Verb.ACCEPTED,
        state=State.RESERVED,
        request_line=line,
        actor=agent_a,
        note="Bon appétit",
    )
    response = parent_client.get(reverse("planning:slot", args=[slot.pk, lea.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cantine — Léa" in html
    assert "Jeudi 3 décembre 2026" in html
    assert "de 11\u00a0h\u00a030 à 13\u00a0h\u00a030" in html
    assert "École Jules-Ferry" in html
    assert "Demande en attente de validation" in html
    assert "Historique du créneau" in html
    history = html.split("Historique du créneau")[1]
    assert history.index("Demande envoyée") < history.index("Demande acceptée")
    assert "par : famille" in history and "par : agent" in history
    assert "état : Réservé" in history
    assert "Demande de réservation du 03/12/2026" in history
    assert "Bon appétit" in history
    assert "day-action" in html  # H5's single-day action is included


def test_slot_history_shows_request_lines_without_events(world, agent_a):
    lea = world["lea"]
    slot = world["canteen_slots"][world["days"][5]]
    request = BookingRequest.objects.create(
        family=world["family"],
        activity=world["canteen"],
        kind=BookingRequest.Kind.RESERVATION,
        date_from=slot.date,
        date_to=slot.date,
        weekdays=[slot.date.weekday()],
        created_by=world["parent"],
    )
    BookingRequestLine.objects.create(
        request=request,
        child=lea,
        slot=slot,
        status=BookingRequestLine.Status.REFUSED,
        refusal_reason="Complet",
        decided_by=agent_a,
        decided_at=timezone.now() + datetime.timedelta(hours=2),
    )
    history = slot_history(child=lea, slot=slot)
    assert [(e.text, e.actor_role) for e in history.entries] == [
        ("Demande de réservation envoyée", "family"),
        ("Demande refusée", "agent"),
    ]
    assert history.entries[1].note == "Complet"


def test_slot_page_of_another_familys_child_is_404(parent_client, world):
    slot = world["canteen_slots"][world["days"][0]]
    # Zoé (family Petit, same collectivity) is enrolled and booked on this very slot.
    assert Booking.objects.filter(child=world["other_child"], slot=slot).exists()
    response = parent_client.get(reverse("planning:slot", args=[slot.pk, world["other_child"].pk]))
    assert response.status_code == 404


def test_slot_page_of_another_collectivitys_slot_is_404(parent_client, world):
    response = parent_client.get(
        reverse("planning:slot", args=[world["slot_b"].pk, world["lea"].pk])
    )
    assert response.status_code == 404
    response = parent_client.get(
        reverse("planning:slot", args=[world["slot_b"].pk, world["child_b"].pk])
    )
    assert response.status_code == 404


def test_slot_page_of_an_activity_the_child_is_not_enrolled_in_is_404(parent_client, world):
    slot = world["wednesday_slots"][datetime.date(2026, 12, 2)]
    assert (
        parent_client.get(reverse("planning:slot", args=[slot.pk, world["lea"].pk])).status_code
        == 200
    )
    # Hugo's Wednesday enrolment is still pending: no cell, no history.
    assert (
        parent_client.get(reverse("planning:slot", args=[slot.pk, world["hugo"].pk])).status_code
        == 404
    )


def test_other_collectivity_host_does_not_show_family_a(client_b, world):
    client_b.force_login(world["parent"])
    response = client_b.get(reverse("planning:index"))
    # The account has no family in B: the "no family" page, nothing of A.
    assert response.status_code == 200
    assert "Léa" not in response.content.decode()


def test_the_month_escapes_names_in_each_slot_and_its_agenda_copy(parent_client, world):
    """The slots are built in Python (``format_html``), not by a template: a child's name and
    an activity's are escaped in the grid, the agenda and the tooltips alike."""
    lea = world["lea"]
    lea.first_name = '<img src=x onerror="alert(1)">'
    lea.save()
    canteen = world["canteen"]
    canteen.name = "Cantine & <b>goûter</b>"
    canteen.save()
    html = planning(parent_client, vue="mois", date="2026-12-01").content.decode()
    assert "<img src=x" not in html and "<b>goûter</b>" not in html
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    # Grid and agenda: the name in each copy, the activity in the link and the tooltip.
    assert html.count(f'<span class="slot__child">{escaped}</span>') >= 2
    assert "Cantine &amp; &lt;b&gt;goûter&lt;/b&gt; — " in html
    assert 'aria-describedby="agenda-infobulle-' in html and 'id="agenda-infobulle-' in html


def test_cells_share_the_activities_given_and_say_the_same(world):
    """Given the activities already read, the slots share them (no copy per slot row), and
    the cells are the same as when the selector reads them itself; an activity missing from
    those given falls back to reading them (never a wrong or missing activity)."""
    children = [world["lea"], world["hugo"]]
    activities = list(Activity.objects.filter(pk__in=[world["canteen"].pk, world["wednesday"].pk]))
    period = (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    ids = [activity.pk for activity in activities]

    def seen(cells):
        return [
            (c.date, c.child.pk, c.activity.pk, c.activity.name, c.state, c.label) for c in cells
        ]

    alone = planning_cells(
        family_children=children, activity_ids=ids, start=period[0], end=period[1]
    )
    shared = planning_cells(
        family_children=children,
        activity_ids=ids,
        start=period[0],
        end=period[1],
        activities=activities,
    )
    assert seen(shared) == seen(alone) and len(shared) > 10
    given = {activity.pk: activity for activity in activities}
    assert all(cell.activity is given[cell.activity.pk] for cell in shared)
    partial = planning_cells(
        family_children=children,
        activity_ids=ids,
        start=period[0],
        end=period[1],
        activities=activities[:1],
    )
    assert seen(partial) == seen(alone)


def test_the_month_days_and_agenda_days_say_today_outside_and_empty(parent_client, world):
    """The grid's days and the agenda's are built in Python (``_day_cell_html``,
    ``_agenda_day_html``), no longer by a template per day: today is marked for sight and
    for assistive technologies (``aria-current="date"``, « aujourd’hui ») in both, the days
    of the neighbouring months are « outside », a day without slot is « empty », and the
    agenda starts with today."""
    with time_machine.travel(datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)):
        html = planning(parent_client, vue="mois", date="2026-12-10").content.decode()
    today_cell = re.search(
        r'<td class="planning-day planning-day--today"[^>]*>.*?</td>', html, re.S
    )
    assert today_cell, html
    assert 'aria-current="date" data-day>' in today_cell.group(0)
    assert (
        '<span class="planning-day__short" aria-hidden="true">3</span>'
        '<span class="planning-day__long">jeudi 3 décembre</span> '
        '<span class="planning-day__today">aujourd’hui</span>'
    ) in today_cell.group(0)
    slot = world["canteen_slots"][datetime.date(2026, 12, 3)]
    assert f'id="infobulle-{slot.pk}-{world["lea"].pk}"' in today_cell.group(0)
    # Monday 30 November opens the grid, outside the month; Saturday 5 December is empty.
    assert re.search(
        r'<td class="planning-day planning-day--outside planning-day--empty" data-day>\s*'
        r'<span class="planning-day__date"><span class="planning-day__short" '
        r'aria-hidden="true">30</span><span class="planning-day__long">lundi 30 novembre</span>',
        html,
    )
    assert '<span class="planning-day__long">samedi 5 décembre</span></span>\n  \n</td>' in html
    agenda = html[html.index('<div class="planning-agenda"') :]
    first_day = re.search(r'<li class="agenda__day[^"]*"[^>]*>\s*<h3[^>]*>[^<]*', agenda)
    assert first_day.group(0).startswith(
        '<li class="agenda__day agenda__day--today" aria-current="date" data-day>'
    )
    assert first_day.group(0).endswith(">Jeudi 3 décembre ")
    assert f'id="agenda-infobulle-{slot.pk}-{world["lea"].pk}"' in agenda
