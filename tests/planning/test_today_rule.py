"""One rule for « today » (issue #16, item 4): the planning's card and the slot page's option
come from the same rule (slot's start, notice days, deadline time, horizon), so that a slot
that can no longer be booked never says « réservable », whatever the state and the hour."""

import datetime

from django.urls import reverse

import pytest
import time_machine

from planning.models import Booking
from planning.rules import PARIS
from planning.selectors import BOOKABLE, CLOSED, PENDING, child_cell
from planning.services import day_option
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

State = Booking.State
DAY = datetime.date(2026, 12, 3)  # a Thursday
BOOKING_STATES = [
    None,
    State.CANCELLED,
    State.PENDING,
    State.RESERVED,
    State.WAITING,
    State.OFFERED,
    State.PRESENT,
    State.ABSENT,
    State.ABSENT_BILLED,
]
# Around the deadline (D-1 at 18:00), the slot's start (D 16:30) and after it (22:00).
MOMENTS = [
    datetime.datetime(2026, 11, 30, 9, 0, tzinfo=PARIS),
    datetime.datetime(2026, 12, 2, 17, 59, tzinfo=PARIS),
    datetime.datetime(2026, 12, 2, 18, 0, tzinfo=PARIS),
    datetime.datetime(2026, 12, 2, 18, 1, tzinfo=PARIS),
    datetime.datetime(2026, 12, 3, 8, 0, tzinfo=PARIS),
    datetime.datetime(2026, 12, 3, 16, 29, tzinfo=PARIS),
    datetime.datetime(2026, 12, 3, 16, 30, tzinfo=PARIS),
    datetime.datetime(2026, 12, 3, 22, 0, tzinfo=PARIS),
    datetime.datetime(2026, 12, 4, 8, 0, tzinfo=PARIS),
]


@pytest.fixture
def setting(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a)
    child = ChildFactory(family=family, first_name="Emma")
    activity = ActivityFactory(
        collectivity=collectivity_a,
        name="Accueil du soir",
        start_time=datetime.time(16, 30),
        end_time=datetime.time(18, 30),
        booking_notice_days=1,
        notice_deadline_time=datetime.time(18, 0),
        booking_horizon_days=30,
        requires_approval=False,
    )
    EnrolmentFactory(child=child, activity=activity)
    slot = SlotFactory(activity=activity, date=DAY)
    return family, child, activity, slot


def _agree(family, child, slot):
    cell = child_cell(child=child, slot=slot)
    option = day_option(family=family, child=child, slot=slot)
    bookable_on_page = option.allowed and option.kind == "reservation"
    if cell.state in (BOOKABLE, CLOSED):
        # A day without a booking: « réservable » exactly when the page offers it.
        assert (cell.state == BOOKABLE) == bookable_on_page, (cell.state, option)
    if not bookable_on_page:
        assert "réservable" not in cell.label.replace("non réservable", "")
    if cell.state == CLOSED:
        # The same reason on both: the card's and the page's.
        assert not option.allowed
        assert option.message == cell.closed_reason
    return cell, option


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.strftime("%d-%H%M"))
@pytest.mark.parametrize("booking_state", BOOKING_STATES, ids=str)
def test_card_and_slot_page_agree(setting, booking_state, moment):
    family, child, activity, slot = setting
    if booking_state is not None:
        BookingFactory(child=child, slot=slot, state=booking_state)
    with time_machine.travel(moment, tick=False):
        cell, option = _agree(family, child, slot)
    if booking_state in (None, State.CANCELLED):
        open_ = moment <= datetime.datetime(2026, 12, 2, 18, 0, tzinfo=PARIS)
        assert cell.state == (BOOKABLE if open_ else CLOSED)
        expected = (
            "Jour passé"
            if moment >= datetime.datetime(2026, 12, 3, 16, 30, tzinfo=PARIS)
            else "Délai de réservation dépassé"
        )
        if not open_:
            assert cell.closed_reason == expected
            assert cell.label == "Inscrit, non réservable"


def test_working_days_and_horizon(setting):
    family, child, activity, slot = setting
    activity.notice_in_working_days = True
    activity.booking_notice_days = 2
    activity.save()
    # Thursday 3: two working days before is Tuesday 1 at 18:00.
    with time_machine.travel(datetime.datetime(2026, 12, 1, 17, 0, tzinfo=PARIS), tick=False):
        assert _agree(family, child, slot)[0].state == BOOKABLE
    with time_machine.travel(datetime.datetime(2026, 12, 1, 18, 5, tzinfo=PARIS), tick=False):
        assert _agree(family, child, slot)[0].state == CLOSED
    # Beyond the 30-day horizon: not yet bookable, on the card as on the page.
    with time_machine.travel(datetime.datetime(2026, 10, 1, 9, 0, tzinfo=PARIS), tick=False):
        cell, option = _agree(family, child, slot)
    assert cell.state == CLOSED and "date limite de réservation" in cell.closed_reason


def test_pending_reservation_line_is_pending_on_both(setting):
    family, child, activity, slot = setting
    from planning.services import one_day, request_submit

    activity.requires_approval = True
    activity.save()
    user = UserFactory()
    SubscriptionFactory(user=user, family=family)
    with time_machine.travel(datetime.datetime(2026, 11, 30, 9, 0, tzinfo=PARIS), tick=False):
        request_submit(
            family=family,
            user=user,
            kind="reservation",
            submission_key="k1",
            comment="",
            **one_day(child=child, slot=slot),
        )
        cell, option = _agree(family, child, slot)
    assert cell.state == PENDING and not option.allowed


def test_at_22h_the_page_and_the_planning_say_the_same(setting, client_a):
    """The case of the issue: at 22:00 the card said « Inscrit, réservable » while its page
    said « Jour passé »."""
    family, child, activity, slot = setting
    user = UserFactory()
    SubscriptionFactory(user=user, family=family)
    client_a.force_login(user)
    with time_machine.travel(datetime.datetime(2026, 12, 3, 22, 0, tzinfo=PARIS), tick=False):
        planning = client_a.get(reverse("planning:index"), {"vue": "jour", "date": "2026-12-03"})
        page = client_a.get(reverse("planning:slot", args=[slot.pk, child.pk]))
    planning_html, page_html = planning.content.decode(), page.content.decode()
    assert "Inscrit, non réservable" in planning_html
    assert "Inscrit, réservable" not in planning_html.split("planning-legend")[0]
    assert "Inscrit, non réservable" in page_html and "Jour passé" in page_html
    assert "Confirmer la demande" not in page_html
