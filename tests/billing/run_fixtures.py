"""Builders for the tests of tariffs and invoicing runs: a régie, an activity with its tariff
and QF brackets, families with a payer, children and bookings."""

import datetime
from decimal import Decimal

from billing.models import Regie, Tariff, TariffBracket, TariffRankReduction
from family.models import Guardian, QuotientPeriod
from planning.models import Booking, Slot
from tests.planning.factories import ActivityFactory, ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

NOVEMBER = (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
# « today » of these tests: November is over, December has begun.
TODAY = datetime.datetime(2026, 12, 10, 9, 0, tzinfo=datetime.UTC)


def regie_make(collectivity, code="01"):
    return Regie.objects.create(collectivity=collectivity, code=code, name="Régie enfance")


def tariff_make(
    activity,
    brackets=(("0", "700", "2.00"), ("700", "1200", "3.50"), ("1200.01", None, "5.00")),
    *,
    valid_from=datetime.date(2026, 9, 1),
    valid_to=None,
    unit=Tariff.Unit.MEAL,
    absence_price=None,
    no_quotient=Tariff.NoQuotient.HIGHEST,
    reductions=(),
):
    tariff = Tariff.objects.create(
        activity=activity,
        valid_from=valid_from,
        valid_to=valid_to,
        unit=unit,
        absence_price=Decimal(absence_price) if absence_price is not None else None,
        no_quotient=no_quotient,
    )
    for qf_min, qf_max, price in brackets:
        TariffBracket.objects.create(
            tariff=tariff,
            qf_min=Decimal(qf_min),
            qf_max=Decimal(qf_max) if qf_max is not None else None,
            price=Decimal(price),
        )
    for rank, percent in reductions:
        TariffRankReduction.objects.create(tariff=tariff, rank=rank, percent=Decimal(percent))
    return tariff


def activity_make(collectivity, **kwargs):
    return ActivityFactory(collectivity=collectivity, **kwargs)


def family_make(collectivity, name="Dupont", *, qf="650", payer=True, email=None):
    family = FamilyFactory(collectivity=collectivity, name=name)
    if payer:
        Guardian.objects.create(
            family=family, rank=1, first_name="Léa", last_name=name, is_payer=True
        )
    if qf is not None:
        QuotientPeriod.objects.create(
            family=family, value=Decimal(qf), valid_from=datetime.date(2026, 1, 1)
        )
    if email:
        SubscriptionFactory(user=UserFactory(email=email), family=family)
    return family


def child_make(family, first_name="Emma", birth=datetime.date(2018, 5, 4)):
    return ChildFactory(family=family, first_name=first_name, birth_date=birth)


def slot_of(activity, day):
    slot, _created = Slot.objects.get_or_create(
        activity=activity,
        date=day,
        defaults={
            "start_time": activity.start_time,
            "end_time": activity.end_time,
            "capacity": activity.capacity,
        },
    )
    return slot


def book(child, activity, day, state=Booking.State.PRESENT, *, marked=True):
    marked_at = (
        datetime.datetime.combine(day, activity.end_time, tzinfo=datetime.UTC) if marked else None
    )
    return Booking.objects.create(
        child=child, slot=slot_of(activity, day), state=state, attendance_marked_at=marked_at
    )


def days_of_november(count, start=2):
    """``count`` weekdays of November 2026 from the ``start``th."""
    days, day = [], datetime.date(2026, 11, start)
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days
