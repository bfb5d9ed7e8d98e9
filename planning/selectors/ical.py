"""A family's private iCalendar feed: the slots its children hold a place on.

The feed is read by calendar applications without a session, so it is reached by an unguessable
token (``CalendarFeed.token``) looked up inside the request's collectivity only; regenerating
the token kills the previous address. One VEVENT per booking RESERVED or PRESENT from 30 days
ago on; its UID is stable per booking, so a calendar application updates the event instead of
duplicating it when the state or the time changes.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

import icalendar

from ..models import Booking, CalendarFeed

PARIS = ZoneInfo("Europe/Paris")
FEED_PAST_DAYS = 30
FEED_STATES = (Booking.State.RESERVED, Booking.State.PRESENT)


def feed_find(*, collectivity, token: str) -> CalendarFeed | None:
    """The feed of this token in this collectivity (None: unknown, old or another host's)."""
    if collectivity is None or not token:
        return None
    return (
        CalendarFeed.objects.for_collectivity(collectivity)
        .select_related("family")
        .filter(token=token)
        .first()
    )


def feed_bookings(*, feed: CalendarFeed, today: datetime.date | None = None):
    today = today or timezone.localdate()
    return (
        Booking.objects.for_collectivity(feed.family.collectivity)
        .filter(
            child__family_id=feed.family_id,
            state__in=FEED_STATES,
            slot__date__gte=today - datetime.timedelta(days=FEED_PAST_DAYS),
        )
        .select_related("slot__activity", "child")
        .order_by("slot__date", "slot__start_time", "pk")
    )


def _local(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, time, tzinfo=PARIS)


def feed_render(*, feed: CalendarFeed, host: str, today: datetime.date | None = None) -> bytes:
    """The feed as an iCalendar document (RFC 5545), bytes ready to send."""
    family = feed.family
    collectivity = family.collectivity
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//Portail Famille//{collectivity.name}//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = _("Planning des activités — Famille %(name)s") % {"name": family.name}
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    calendar.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    stamp = timezone.now()
    for booking in feed_bookings(feed=feed, today=today):
        slot = booking.slot
        activity = slot.activity
        event = icalendar.Event()
        event.add("uid", f"reservation-{booking.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("last-modified", booking.updated_at)
        event.add("dtstart", _local(slot.date, slot.start_time))
        event.add("dtend", _local(slot.date, slot.end_time))
        event.add(
            "summary",
            _("%(activity)s — %(child)s")
            % {"activity": activity.name, "child": booking.child.first_name},
        )
        if activity.place:
            event.add("location", activity.place)
        event.add("description", booking.get_state_display())
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
