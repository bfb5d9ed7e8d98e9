"""Writes of a family's private iCalendar feed: its creation on first use and the
regeneration of its address (reads and rendering: ``planning.selectors.ical``)."""

from django.db import transaction

from ..models import CalendarFeed, feed_token


def calendar_feed_for_family(*, family) -> CalendarFeed:
    """The family's feed, created on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(family=family)
    return feed


@transaction.atomic
def calendar_feed_regenerate(*, family) -> CalendarFeed:
    """Give the family a new address; the old one answers 404 from now on."""
    feed = CalendarFeed.objects.select_for_update(of=("self",)).filter(family=family).first()
    if feed is None:
        return CalendarFeed.objects.create(family=family)
    feed.token = feed_token()
    feed.save(update_fields=["token", "created_at"])
    return feed
