"""Which days an activity opens: public holidays, school holidays, closures, weekdays.

Public holidays come from ``holidays`` (France, French names) and school holidays from
``vacances-scolaires-france`` (zones A/B/C, official data shipped with the package): no
hand-typed tables. Both are pure functions of the year, so they are cached per process.

``closed_reason`` answers for one day; callers that test many days pass the dictionaries they
already loaded (``closures``, ``public``, ``school``) so that the whole range costs one query.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

from django.utils.translation import gettext as _

import holidays
from vacances_scolaires_france import SchoolHolidayDates

from .models import Activity

ONE_DAY = timedelta(days=1)


def date_range(start: date, end: date):
    """Every date from ``start`` to ``end``, both included."""
    day = start
    while day <= end:
        yield day
        day += ONE_DAY


@lru_cache(maxsize=64)
def _public_holidays_of_year(year: int) -> MappingProxyType:
    try:
        calendar = holidays.France(years=year, language="fr")
    except (NotImplementedError, TypeError):  # pragma: no cover - older library versions
        calendar = holidays.France(years=year)
    # French typography: the library writes « Jour de l'an » with a straight apostrophe.
    return MappingProxyType({day: name.replace("'", "’") for day, name in calendar.items()})


def public_holidays(start: date, end: date) -> dict[date, str]:
    """French public holidays (« jours fériés ») between two dates, included, with their names."""
    found: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        for day, name in _public_holidays_of_year(year).items():
            if start <= day <= end:
                found[day] = name
    return dict(sorted(found.items()))


@lru_cache(maxsize=1)
def _school_holiday_dates() -> SchoolHolidayDates:
    # Loads the package's CSV once per process.
    return SchoolHolidayDates()


@lru_cache(maxsize=256)
def _school_holidays_of_year(zone: str, year: int) -> MappingProxyType:
    source = _school_holiday_dates()
    if zone not in source.SUPPORTED_ZONES or not (source.min_year <= year <= source.max_year):
        # Unknown zone or a year the official data does not cover yet: no holidays known.
        return MappingProxyType({})
    rows = source.holidays_for_year_and_zone(year, zone)
    return MappingProxyType(
        {day: row["nom_vacances"].replace("'", "’") for day, row in rows.items()}
    )


def school_holidays(zone: str, start: date, end: date) -> dict[date, str]:
    """School holidays (« vacances scolaires ») of a zone between two dates, included.

    Names are the official ones (« Vacances de Noël », « Vacances d’hiver »…). Weekends that
    fall inside a holiday are part of it.
    """
    zone = (zone or "").upper()
    found: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        for day, name in _school_holidays_of_year(zone, year).items():
            if start <= day <= end:
                found[day] = name
    return dict(sorted(found.items()))


def activity_closures(activity) -> dict[date, str]:
    """The activity's « jours sans activité » (one query)."""
    return dict(activity.closures.values_list("date", "reason"))


def closed_reason(
    activity,
    day: date,
    *,
    closures: dict[date, str] | None = None,
    public: dict[date, str] | None = None,
    school: dict[date, str] | None = None,
) -> str | None:
    """Why the activity does not open on ``day`` (French, for people), or None when it opens.

    ``closures`` maps the activity's closed dates to their reason; ``public`` and ``school`` map
    public and school holidays (of the collectivity's zone) to their names. Any of them left to
    None is loaded for that day only.
    """
    if day < activity.start_date or day > activity.end_date:
        return _("Hors calendrier de l’activité")
    if day.weekday() not in set(activity.weekdays or ()):
        return _("Fermé ce jour de la semaine")
    if closures is None:
        closures = dict(activity.closures.filter(date=day).values_list("date", "reason"))
    if day in closures:
        reason = closures[day]
        if reason:
            return _("Jour sans activité : %(reason)s") % {"reason": reason}
        return _("Jour sans activité")
    if public is None:
        public = public_holidays(day, day)
    if day in public:
        return _("Jour férié : %(name)s") % {"name": public[day]}
    if activity.opening == Activity.Opening.ALL_YEAR:
        return None
    if school is None:
        school = school_holidays(activity.collectivity.school_zone, day, day)
    if activity.opening == Activity.Opening.TERM_TIME and day in school:
        return _("Vacances scolaires : %(name)s") % {"name": school[day]}
    if activity.opening == Activity.Opening.SCHOOL_HOLIDAYS and day not in school:
        return _("Hors vacances scolaires")
    return None


def activity_calendar(activity) -> dict[date, str | None]:
    """Every date of the activity's period → None when open, else the reason it is closed.

    One query (the closures); holidays come from the per-process caches.
    """
    start, end = activity.start_date, activity.end_date
    if end < start:
        return {}
    closures = activity_closures(activity)
    public = public_holidays(start, end)
    school = school_holidays(activity.collectivity.school_zone, start, end)
    return {
        day: closed_reason(activity, day, closures=closures, public=public, school=school)
        for day in date_range(start, end)
    }


def activity_open_dates(activity) -> list[date]:
    """The dates on which the activity opens, in order (one pass, one query)."""
    return [day for day, reason in activity_calendar(activity).items() if reason is None]
