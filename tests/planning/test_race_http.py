"""The registration rush over real HTTP: 30 parents confirm the same 5 places at once.

The service-level race (tests/planning/test_race.py) proves the capacity engine's lock; this
one proves the whole stack keeps it: the confirmation page of ``planning:request_day`` is
fetched by 30 logged-in parents (each with their own session and CSRF cookie), then all 30
POST it together against the live server, which answers each request in its own thread with
its own PostgreSQL connection. Exactly the capacity is granted, the others wait, in the order
their requests arrived (``tests/planning/fairness.py``). SQLite serialises writers, so the
test runs on PostgreSQL only. Checked to fail without the lock (``select_for_update`` removed
from ``planning.services.bookings._lock_slots``: the slot is oversold, every time, since
``rush_the_lock`` makes the 30 requests reach the lock together).
"""

import datetime
import http.client
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import holidays
import pytest

from planning.models import Activity, Booking, BookingRequest, BookingRequestLine, Enrolment
from tests.planning.factories import ActivityFactory, ChildFactory, EnrolmentFactory, SlotFactory
from tests.planning.fairness import inversions, rush_the_lock, unexplained
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PARENTS = 30
CAPACITY = 5
HTTP_TIMEOUT = 60
GET_ATTEMPTS = 3


class FormInputs(HTMLParser):
    """What a browser would submit: the named inputs (and the first named submit button) of
    the form whose action is ``action``."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.in_form = False
        self.found = False
        self.fields: dict[str, str] = {}
        self.button_taken = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            target = urlsplit(attrs.get("action") or self.action).path
            self.in_form = method == "post" and target == self.action and not self.found
            self.found = self.found or self.in_form
        elif self.in_form and tag in {"input", "button"} and attrs.get("name"):
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            if kind == "submit":
                if not self.button_taken:
                    self.fields[attrs["name"]] = attrs.get("value") or ""
                    self.button_taken = True
            elif kind not in {"checkbox", "radio"} or "checked" in attrs:
                self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False


@dataclass
class Outcome:
    child_id: int
    get_status: int = 0
    get_attempts: int = 0
    post_status: int = 0
    location: str = ""
    error: str = ""
    finished: object = None  # when the POST's response came back (after the commit)
    fields: dict = field(default_factory=dict)


def _cookies(response) -> dict[str, str]:
    jar = SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _parent_run(*, base, path, session_key, barrier, outcome):
    """One parent: open the confirmation page, wait for the others, confirm.

    Like a browser, the parent keeps the page's connection open (HTTP/1.1 keep-alive) and
    sends the POST on it: the 30 POSTs then reach 30 server threads at the same instant,
    instead of queueing on the test server's short listen backlog (10, where gunicorn has
    2048), whose overflow resets connections before Django sees them."""
    parts = urlsplit(base)
    cookies = {settings.SESSION_COOKIE_NAME: session_key}
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=HTTP_TIMEOUT)
    for attempt in range(GET_ATTEMPTS):
        # A GET is safe to retry (a browser does); only the POST must be sent once.
        try:
            conn.request("GET", path, headers={"Cookie": _cookie_header(cookies)})
            response = conn.getresponse()
            page = response.read().decode()
        except ConnectionError as exc:
            conn.close()
            outcome.error = f"GET: {exc!r}"
            continue
        except Exception as exc:  # reported by the test, never swallowed
            outcome.error = f"GET: {exc!r}"
            break
        outcome.error = ""
        outcome.get_status = response.status
        outcome.get_attempts = attempt + 1
        cookies.update(_cookies(response))
        parser = FormInputs(path)
        parser.feed(page)
        outcome.fields = parser.fields
        break
    # Everyone waits here, even after a failed GET, so the others are not left hanging.
    barrier.wait()
    if outcome.error or outcome.get_status != 200:
        conn.close()
        return
    try:
        conn.request(
            "POST",
            path,
            body=urlencode(outcome.fields),
            headers={
                "Cookie": _cookie_header(cookies),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        response = conn.getresponse()
        response.read()
        outcome.finished = timezone.now()
        outcome.post_status = response.status
        outcome.location = response.getheader("Location") or ""
    except Exception as exc:  # reported by the test, never swallowed
        outcome.error = f"POST: {exc!r}"
    finally:
        conn.close()


def _opening_day() -> datetime.date:
    """A weekday three weeks ahead, not a public holiday: inside every notice and horizon."""
    day = timezone.localdate() + datetime.timedelta(days=21)
    french_holidays = holidays.France(years=[day.year, day.year + 1])
    while day.weekday() >= 5 or day in french_holidays:
        day += datetime.timedelta(days=1)
    return day


def test_thirty_parents_confirm_five_places_at_once(
    live_server, collectivity_a, collectivity_b, monkeypatch
):
    day = _opening_day()
    activity = ActivityFactory(
        collectivity=collectivity_a,
        name="Accueil de loisirs — ouverture des inscriptions",
        kind=Activity.Kind.HOLIDAY_CENTRE,
        opening=Activity.Opening.ALL_YEAR,
        start_date=day,
        end_date=day,
        weekdays=[day.weekday()],
        capacity=CAPACITY,
        requires_approval=False,
        booking_notice_days=2,
    )
    slot = SlotFactory(activity=activity, date=day)
    # Another collectivity's identical activity, so that a leak would show in the counts.
    other = SlotFactory(
        activity=ActivityFactory(
            collectivity=collectivity_b, start_date=day, end_date=day, requires_approval=False
        ),
        date=day,
    )
    EnrolmentFactory(
        child=ChildFactory(family__collectivity=collectivity_b), activity=other.activity
    )

    parents = []
    for n in range(PARENTS):
        family = FamilyFactory(collectivity=collectivity_a, name=f"Famille{n:02d}")
        child = ChildFactory(family=family, first_name=f"Enfant{n:02d}")
        EnrolmentFactory(child=child, activity=activity, status=Enrolment.Status.ACCEPTED)
        user = UserFactory(email=f"parent.rush{n:02d}@example.test")
        SubscriptionFactory(user=user, family=family)
        client = Client()
        client.force_login(user)
        parents.append((child, client.cookies[settings.SESSION_COOKIE_NAME].value))

    barrier = threading.Barrier(PARENTS, timeout=HTTP_TIMEOUT)
    rush_the_lock(monkeypatch, PARENTS)
    outcomes = []
    threads = []
    for child, session_key in parents:
        outcome = Outcome(child_id=child.pk)
        outcomes.append(outcome)
        path = reverse("planning:request_day", args=[slot.pk, child.pk, "reservation"])
        threads.append(
            threading.Thread(
                target=_parent_run,
                kwargs={
                    "base": live_server.url,
                    "path": path,
                    "session_key": session_key,
                    "barrier": barrier,
                    "outcome": outcome,
                },
            )
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HTTP_TIMEOUT * 3)
    assert not any(thread.is_alive() for thread in threads), "a parent's request never ended"

    # Every parent saw the confirmation page with its one-time key and got a redirect back to
    # the planning: no exception, no 4xx/5xx.
    assert [o.error for o in outcomes if o.error] == []
    assert {o.get_status for o in outcomes} == {200}
    assert all(o.fields.get("csrfmiddlewaretoken") for o in outcomes)
    assert all(o.fields.get("submission_key") for o in outcomes)
    assert len({o.fields["submission_key"] for o in outcomes}) == PARENTS
    assert sorted({o.post_status for o in outcomes}) == [302], [
        (o.child_id, o.post_status) for o in outcomes if o.post_status != 302
    ]

    # All 30 requests exist, one line each, and nothing reached the other collectivity.
    requests = list(
        BookingRequest.objects.filter(activity=activity)
        .order_by("created_at", "pk")
        .prefetch_related("lines")
    )
    assert len(requests) == PARENTS
    assert all(len(r.lines.all()) == 1 for r in requests)
    arrival = [r.lines.all()[0].child_id for r in requests]
    assert sorted(arrival) == sorted(o.child_id for o in outcomes)
    assert not Booking.objects.filter(slot=other).exists()

    # Exactly the capacity holds a place; the others wait.
    bookings = Booking.objects.filter(slot=slot)
    holders = list(bookings.filter(state__in=Booking.HOLDS_PLACE).values_list("child", flat=True))
    waiting = list(
        bookings.filter(state=Booking.State.WAITING)
        .order_by("queued_at", "pk")
        .values_list("child", flat=True)
    )
    assert len(holders) == CAPACITY
    assert len(waiting) == PARENTS - CAPACITY
    assert bookings.count() == PARENTS

    # First come, first served (arrival: when the server received the confirmation): the
    # waiting list follows arrival exactly; a later arrival holds a place while an earlier one
    # waits only if the earlier one was still in progress when the later one arrived.
    received = {r.lines.all()[0].child_id: r.received_at for r in requests}
    assert None not in received.values()
    assert waiting == sorted(waiting, key=lambda child: received[child])
    pairs = inversions(arrival=received, holders=holders, waiting=waiting)
    finished = {o.child_id: o.finished for o in outcomes}
    assert unexplained(pairs, arrival=received, finished=finished) == []
    queued = list(
        bookings.filter(state=Booking.State.WAITING)
        .order_by("queued_at", "pk")
        .values_list("queued_at", flat=True)
    )
    assert len(set(queued)) == len(queued), "two waiting bookings share a queue time"

    # Each request's line tells its outcome, and each request is settled (no agent needed).
    line_status = dict(
        BookingRequestLine.objects.filter(request__activity=activity).values_list("child", "status")
    )
    assert sorted(line_status[c] for c in holders) == [BookingRequestLine.Status.ACCEPTED] * 5
    assert {line_status[c] for c in waiting} == {BookingRequestLine.Status.WAITING}
    assert {r.status for r in requests} == {BookingRequest.Status.ACCEPTED}
