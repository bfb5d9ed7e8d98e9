"""Notice rules of an activity ("délais de prévenance"), in the collectivity's local time.

A slot is a date plus local start/end times; the deadlines to book it or to declare an absence
are "D minus N days at the activity's deadline time", N counted in calendar days or in working
days (without Saturdays, Sundays and public holidays) as the activity says. Everything returned
is an aware datetime in Europe/Paris, comparable with ``timezone.now()``.
"""

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

PARIS = ZoneInfo("Europe/Paris")


def local_now(now: datetime.datetime | None = None) -> datetime.datetime:
    """The current (or given) instant as an aware datetime in Paris time."""
    now = now or timezone.now()
    if timezone.is_naive(now):
        now = now.replace(tzinfo=PARIS)
    return now.astimezone(PARIS)


def _as_time(value) -> datetime.time:
    # An unsaved Activity may still hold the field default as a string ("23:59").
    if isinstance(value, str):
        return datetime.time.fromisoformat(value)
    return value


def _notice_day(activity, day: datetime.date, days: int) -> datetime.date:
    """``day`` minus ``days`` calendar days, or working days when the activity says so."""
    if not activity.notice_in_working_days:
        return day - datetime.timedelta(days=days)
    if days == 0:
        return day
    from planning.calendar import public_holidays

    window = days * 2 + 14  # room for N working days across weekends and bridges
    while True:
        start = day - datetime.timedelta(days=window)
        closed = public_holidays(start, day)
        current, remaining = day, days
        while remaining and current > start:
            current -= datetime.timedelta(days=1)
            if current.weekday() < 5 and current not in closed:
                remaining -= 1
        if not remaining:
            return current
        window *= 2


def _deadline(activity, day: datetime.date, days: int) -> datetime.datetime:
    notice_day = _notice_day(activity, day, days)
    at = _as_time(activity.notice_deadline_time)
    return datetime.datetime.combine(notice_day, at, tzinfo=PARIS)


def booking_deadline(activity, day: datetime.date) -> datetime.datetime:
    """Last instant (Paris time) to ask for a reservation on ``day``."""
    return _deadline(activity, day, activity.booking_notice_days)


def absence_deadline(activity, day: datetime.date) -> datetime.datetime:
    """Last instant (Paris time) to declare an absence on ``day`` without it being billed."""
    return _deadline(activity, day, activity.cancellation_notice_days)


def horizon_end(activity, today: datetime.date) -> datetime.date:
    """Last date that may be booked today ("réservation possible jusqu’à J+N")."""
    return today + datetime.timedelta(days=activity.booking_horizon_days)


def slot_starts_at(slot) -> datetime.datetime:
    """The slot's start as an aware datetime (Paris time)."""
    return datetime.datetime.combine(slot.date, _as_time(slot.start_time), tzinfo=PARIS)


def reservation_closed_reason(activity, slot, now: datetime.datetime | None = None) -> str | None:
    """Why a reservation can no longer (or not yet) be asked for on ``slot``, in French; None
    when it can, as far as time and the activity go.

    The one rule of « today »: the planning's card (« Inscrit, réservable » or « Inscrit, non
    réservable ») and the slot page's option (``planning.services.preview``) both ask it, so
    that they never disagree — the slot's start, the booking deadline (notice days, working
    days, deadline time), the booking horizon and a withdrawn activity."""
    now = local_now(now)
    if now >= slot_starts_at(slot):
        return _("Jour passé")
    if not activity.is_active:
        return _("Cette activité n’est plus proposée aux familles.")
    if now > booking_deadline(activity, slot.date):
        return _("Délai de réservation dépassé")
    limit = horizon_end(activity, now.date())
    if slot.date > limit:
        return _("La période dépasse la date limite de réservation (%(date)s).") % {
            "date": limit.strftime("%d/%m/%Y")
        }
    return None
