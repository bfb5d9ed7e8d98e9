"""The private iCalendar feed: exactly the held slots, stable UIDs, Europe/Paris times, a new
address kills the old one, another host or an unknown token answers 404."""

import datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

import icalendar
import pytest
import time_machine

from planning.models import Booking, CalendarFeed
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
PARIS = ZoneInfo("Europe/Paris")
State = Booking.State


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def setup(collectivity_a, collectivity_b):
    family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    parent = UserFactory(email="claire.ical@example.test")
    SubscriptionFactory(user=parent, family=family)
    lea = ChildFactory(family=family, first_name="Léa")
    hugo = ChildFactory(family=family, first_name="Hugo")
    canteen = ActivityFactory(collectivity=collectivity_a, name="Cantine", place="École Ferry")
    for child in (lea, hugo):
        EnrolmentFactory(child=child, activity=canteen)

    def slot(day):
        return SlotFactory(activity=canteen, date=day)

    held = [
        BookingFactory(child=lea, slot=slot(datetime.date(2026, 12, 3)), state=State.RESERVED),
        BookingFactory(child=hugo, slot=slot(datetime.date(2026, 11, 2)), state=State.PRESENT),
        BookingFactory(child=lea, slot=slot(datetime.date(2026, 10, 27)), state=State.RESERVED),
    ]
    not_held = [
        # 31 days ago: out of the feed's window.
        BookingFactory(child=lea, slot=slot(datetime.date(2026, 10, 23)), state=State.RESERVED),
    ]
    for index, state in enumerate(
        [State.PENDING, State.WAITING, State.OFFERED, State.ABSENT, State.ABSENT_BILLED]
    ):
        not_held.append(
            BookingFactory(child=hugo, slot=slot(datetime.date(2026, 12, 7 + index)), state=state)
        )
    # Another family of A and a family of B, both with reservations.
    other = FamilyFactory(collectivity=collectivity_a, name="Petit")
    other_child = ChildFactory(family=other, first_name="Zoé")
    BookingFactory(child=other_child, slot=slot(datetime.date(2026, 12, 14)), state=State.RESERVED)
    family_b = FamilyFactory(collectivity=collectivity_b, name="Bernard")
    child_b = ChildFactory(family=family_b, first_name="Nina")
    activity_b = ActivityFactory(collectivity=collectivity_b, name="Cantine de Bêta")
    BookingFactory(
        child=child_b,
        slot=SlotFactory(activity=activity_b, date=datetime.date(2026, 12, 3)),
        state=State.RESERVED,
    )
    feed_b = CalendarFeed.objects.create(family=family_b)
    return {
        "family": family,
        "parent": parent,
        "held": held,
        "not_held": not_held,
        "feed_b": feed_b,
    }


def feed_url_of(client) -> str:
    html = client.get(reverse("planning:calendar")).content.decode()
    start = html.index('class="calendar-feed__url" value="') + len(
        'class="calendar-feed__url" value="'
    )
    return html[start : html.index('"', start)]


def test_calendar_page_shows_an_absolute_private_address(client_a, setup):
    client_a.force_login(setup["parent"])
    response = client_a.get(reverse("planning:calendar"))
    assert response.status_code == 200
    html = response.content.decode()
    feed = CalendarFeed.objects.get(family=setup["family"])
    assert f"http://localhost/agenda/{feed.token}.ics" in html
    assert f"webcal://localhost/agenda/{feed.token}.ics" in html
    assert "Générer une nouvelle adresse" in html
    # The same address on every visit.
    assert feed_url_of(client_a) == f"http://localhost/agenda/{feed.token}.ics"


def test_calendar_page_uses_https_behind_the_proxy(client_a, setup, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client_a.force_login(setup["parent"])
    html = client_a.get(reverse("planning:calendar"), HTTP_X_FORWARDED_PROTO="https").content
    assert b"https://localhost/agenda/" in html


def test_planning_links_to_the_calendar_page(client_a, setup):
    client_a.force_login(setup["parent"])
    html = client_a.get(reverse("planning:index")).content.decode()
    assert "S’abonner à l’agenda" in html
    assert reverse("planning:calendar") in html


def test_feed_has_exactly_the_held_slots(client_a, setup):
    client_a.force_login(setup["parent"])
    url = feed_url_of(client_a)
    anonymous = type(client_a)(HTTP_HOST="localhost")
    response = anonymous.get(url.replace("http://localhost", ""))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    uids = {str(event["UID"]) for event in events}
    assert uids == {f"reservation-{booking.pk}@localhost" for booking in setup["held"]}
    assert calendar.walk("VTIMEZONE")  # the TZID is defined in the document
    by_uid = {str(event["UID"]): event for event in events}
    event = by_uid[f"reservation-{setup['held'][0].pk}@localhost"]
    assert str(event["SUMMARY"]) == "Cantine — Léa"
    assert str(event["LOCATION"]) == "École Ferry"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == datetime.datetime(2026, 12, 3, 11, 30, tzinfo=PARIS)
    assert end == datetime.datetime(2026, 12, 3, 13, 30, tzinfo=PARIS)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert b"DTSTART;TZID=Europe/Paris:20261203T113000" in response.content
    # UIDs are stable from one download to the next.
    again = icalendar.Calendar.from_ical(anonymous.get(url.replace("http://localhost", "")).content)
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == uids


def test_regenerating_kills_the_old_address(client_a, setup):
    client_a.force_login(setup["parent"])
    old = feed_url_of(client_a).replace("http://localhost", "")
    assert client_a.get(old).status_code == 200
    response = client_a.post(reverse("planning:calendar"), {"famille": setup["family"].pk})
    assert response.status_code == 302
    page = client_a.get(response["Location"]).content.decode()
    assert "Une nouvelle adresse a été générée" in page
    new = feed_url_of(client_a).replace("http://localhost", "")
    assert new != old
    assert client_a.get(old).status_code == 404
    assert client_a.get(new).status_code == 200


def test_regenerating_another_familys_feed_is_404(client_a, setup):
    client_a.force_login(setup["parent"])
    token_b = setup["feed_b"].token
    response = client_a.post(reverse("planning:calendar"), {"famille": setup["feed_b"].family_id})
    assert response.status_code == 404
    setup["feed_b"].refresh_from_db()
    assert setup["feed_b"].token == token_b


def test_unknown_token_and_other_host_are_404(client_a, client_b, setup):
    assert client_a.get(reverse("planning:feed", args=["inconnu"])).status_code == 404
    client_a.force_login(setup["parent"])
    path = feed_url_of(client_a).replace("http://localhost", "")
    # Family A's token on B's host: not found there.
    assert client_b.get(path).status_code == 404
    # B's token on A's host: not found either; on its own host it works.
    path_b = reverse("planning:feed", args=[setup["feed_b"].token])
    assert client_a.get(path_b).status_code == 404
    response = client_b.get(path_b)
    assert response.status_code == 200
    summaries = [
        str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    ]
    assert summaries == ["Cantine de Bêta — Nina"]


def test_feed_is_404_when_the_planning_module_is_off(client_a, setup, collectivity_a):
    client_a.force_login(setup["parent"])
    path = feed_url_of(client_a).replace("http://localhost", "")
    collectivity_a.module_planning = False
    collectivity_a.save()
    assert client_a.get(path).status_code == 404
