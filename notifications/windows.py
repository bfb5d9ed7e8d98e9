"""The digest windows of a collectivity, from its digest hours.

Hours are local (Europe/Paris); each hour closes a window that opened at the previous one, so
with 13:00 and 18:00 the 13:00 window is [18:00 the day before, 13:00) and the 18:00 window
[13:00, 18:00). Windows are half-open: a decision at 13:00:00 belongs to the 18:00 window, one
at 12:59:59.999 to the 13:00 window; none falls between two windows or in two.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

MICROSECOND = datetime.timedelta(microseconds=1)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _boundary(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, time, tzinfo=_zone())


def boundary_after(hours: list[datetime.time], moment: datetime.datetime) -> datetime.datetime:
    """The first digest hour strictly after ``moment``."""
    local = moment.astimezone(_zone())
    for offset in range(0, 3):
        day = local.date() + datetime.timedelta(days=offset)
        for time in hours:
            candidate = _boundary(day, time)
            if candidate > moment:
                return candidate
    raise ValueError("No digest hour")  # unreachable with at least one hour


def boundary_at_or_before(
    hours: list[datetime.time], moment: datetime.datetime
) -> datetime.datetime:
    """The last digest hour at or before ``moment``."""
    local = moment.astimezone(_zone())
    for offset in range(0, 3):
        day = local.date() - datetime.timedelta(days=offset)
        for time in reversed(hours):
            candidate = _boundary(day, time)
            if candidate <= moment:
                return candidate
    raise ValueError("No digest hour")


def window_containing(
    hours: list[datetime.time], moment: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """The window [start, end) that ``moment`` falls in."""
    return boundary_at_or_before(hours, moment), boundary_after(hours, moment)


def windows_from(
    hours: list[datetime.time], start: datetime.datetime, until: datetime.datetime
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The windows that follow ``start`` (the end of the last window sent) and have ended by
    ``until``, oldest first. The first one starts exactly at ``start``, so a change of hours
    never leaves a gap nor sends a decision twice."""
    windows = []
    while True:
        end = boundary_after(hours, start)
        if end > until:
            return windows
        windows.append((start, end))
        start = end


def first_start(hours: list[datetime.time], until: datetime.datetime) -> datetime.datetime:
    """Where a collectivity that never had a digest starts: the last window ended by ``until``
    (so the first run sends that window, not the whole history)."""
    current_start = boundary_at_or_before(hours, until)
    return boundary_at_or_before(hours, current_start - MICROSECOND)
