"""Pricing a booking in a draft run: the bracket at each boundary, the child's rank, no
quotient under both policies, a quotient changing mid-month, the unit (hours), and each state
of a booking (present, excused, billed absence, reserved and not recorded)."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from billing.models import RunAnomaly, RunFamily, RunLine, Tariff
from billing.services.runs import run_create
from family.models import QuotientPeriod
from planning.models import Booking
from tests.billing.run_fixtures import (
    NOVEMBER,
    TODAY,
    activity_make,
    book,
    child_make,
    family_make,
    regie_make,
    tariff_make,
)

pytestmark = pytest.mark.django_db
State = Booking.State
DAY = datetime.date(2026, 11, 5)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def regie(collectivity_a):
    return regie_make(collectivity_a)


@pytest.fixture
def canteen(collectivity_a):
    return activity_make(collectivity_a, name="Restauration scolaire")


def draft(regie, activities, *, bill_unrecorded=True):
    return run_create(
        regie=regie,
        label="Novembre 2026",
        period_start=NOVEMBER[0],
        period_end=NOVEMBER[1],
        activities=activities,
        bill_unrecorded=bill_unrecorded,
        due_date=datetime.date(2026, 12, 31),
    )


def prices(run):
    return sorted(
        RunLine.objects.filter(run_family__run=run).values_list(
            "run_family__family__name", "date", "unit_price"
        )
    )


@pytest.mark.parametrize(
    "qf, expected",
    [
        ("0", "2.00"),
        ("699.99", "2.00"),
        ("700", "2.00"),  # exactly on the shared limit: the lower bracket (both included)
        ("700.01", "3.50"),
        ("1200", "3.50"),
        ("1200.01", "5.00"),  # the open bracket's lower limit
        ("9999", "5.00"),
    ],
)
def test_the_bracket_at_each_boundary(collectivity_a, regie, canteen, qf, expected):
    tariff_make(canteen)
    family = family_make(collectivity_a, qf=qf)
    book(child_make(family), canteen, DAY)
    run = draft(regie, [canteen])
    assert [price for _n, _d, price in prices(run)] == [Decimal(expected)]


def test_a_quotient_in_a_gap_between_brackets_is_an_anomaly(collectivity_a, regie, canteen):
    tariff_make(canteen, brackets=(("0", "700", "2.00"), ("800", None, "4.00")))
    family = family_make(collectivity_a, qf="750")
    book(child_make(family), canteen, DAY)
    run = draft(regie, [canteen])
    anomaly = RunAnomaly.objects.get(run=run)
    assert anomaly.kind == RunAnomaly.Kind.NO_TARIFF and not anomaly.blocking
    assert "750" in anomaly.detail and "Emma" in anomaly.detail
    assert not RunLine.objects.filter(run_family__run=run).exists()


def test_the_childs_rank_eldest_first_and_the_highest_rank_wins(collectivity_a, regie, canteen):
    tariff_make(canteen, reductions=((2, "80"), (3, "50")))
    family = family_make(collectivity_a, qf="650")
    youngest = child_make(family, "Zoé", datetime.date(2021, 1, 1))
    eldest = child_make(family, "Adam", datetime.date(2016, 1, 1))
    middle = child_make(family, "Lina", datetime.date(2018, 1, 1))
    fourth = child_make(family, "Noé", datetime.date(2022, 6, 1))
    for child in (youngest, eldest, middle, fourth):
        book(child, canteen, DAY)
    run = draft(regie, [canteen])
    by_child = dict(
        RunLine.objects.filter(run_family__run=run).values_list("child__first_name", "unit_price")
    )
    assert by_child == {
        "Adam": Decimal("2.00"),
        "Lina": Decimal("1.60"),  # rank 2: 80 %
        "Zoé": Decimal("1.00"),  # rank 3: 50 %
        "Noé": Decimal("1.00"),  # rank 4: still the rank-3 reduction
    }


def test_a_child_with_only_excused_days_does_not_take_a_rank(collectivity_a, regie, canteen):
    tariff_make(canteen, reductions=((2, "80"),))
    family = family_make(collectivity_a, qf="650")
    eldest = child_make(family, "Adam", datetime.date(2016, 1, 1))
    younger = child_make(family, "Lina", datetime.date(2018, 1, 1))
    book(eldest, canteen, DAY, State.ABSENT)
    book(younger, canteen, DAY)
    run = draft(regie, [canteen])
    line = RunLine.objects.get(run_family__run=run, child=younger)
    assert (line.rank, line.unit_price) == (1, Decimal("2.00"))


def test_no_quotient_under_the_highest_bracket_policy(collectivity_a, regie, canteen):
    tariff_make(canteen, no_quotient=Tariff.NoQuotient.HIGHEST)
    family = family_make(collectivity_a, qf=None)
    book(child_make(family), canteen, DAY)
    run = draft(regie, [canteen])
    assert [price for _n, _d, price in prices(run)] == [Decimal("5.00")]
    assert not RunAnomaly.objects.filter(run=run).exists()


def test_no_quotient_under_the_block_policy_is_an_anomaly_and_no_invoice(
    collectivity_a, regie, canteen
):
    tariff_make(canteen, no_quotient=Tariff.NoQuotient.BLOCK)
    blocked = family_make(collectivity_a, "Martin", qf=None)
    book(child_make(blocked, "Jules"), canteen, DAY)
    fine = family_make(collectivity_a, "Durand", qf="900")
    book(child_make(fine), canteen, DAY)
    run = draft(regie, [canteen])
    anomaly = RunAnomaly.objects.get(run=run)
    assert (anomaly.kind, anomaly.family_name, anomaly.blocking) == (
        RunAnomaly.Kind.NO_QUOTIENT,
        "Martin",
        True,
    )
    assert "Jules" in anomaly.detail and "05/11" in anomaly.detail
    assert RunFamily.objects.get(run=run, family=blocked).blocked
    assert not RunFamily.objects.get(run=run, family=fine).blocked


def test_a_quotient_changing_mid_month(collectivity_a, regie, canteen):
    tariff_make(canteen)
    family = family_make(collectivity_a, qf=None)
    QuotientPeriod.objects.create(
        family=family,
        value=Decimal("650"),
        valid_from=datetime.date(2026, 1, 1),
        valid_to=datetime.date(2026, 11, 15),
    )
    QuotientPeriod.objects.create(
        family=family, value=Decimal("1000"), valid_from=datetime.date(2026, 11, 16)
    )
    child = child_make(family)
    for day in (datetime.date(2026, 11, 13), datetime.date(2026, 11, 16)):
        book(child, canteen, day)
    run = draft(regie, [canteen])
    assert [(d.day, p) for _n, d, p in prices(run)] == [
        (13, Decimal("2.00")),
        (16, Decimal("3.50")),
    ]
    quotients = RunLine.objects.filter(run_family__run=run).order_by("date")
    assert [line.family_quotient for line in quotients] == [Decimal("650"), Decimal("1000")]


def test_the_tariff_valid_on_the_day(collectivity_a, regie, canteen):
    tariff_make(canteen, valid_to=datetime.date(2026, 11, 15))
    tariff_make(canteen, (("0", None, "9.00"),), valid_from=datetime.date(2026, 11, 16))
    family = family_make(collectivity_a)
    child = child_make(family)
    book(child, canteen, datetime.date(2026, 11, 13))
    book(child, canteen, datetime.date(2026, 11, 16))
    run = draft(regie, [canteen])
    assert [p for _n, _d, p in prices(run)] == [Decimal("2.00"), Decimal("9.00")]


def test_no_tariff_for_the_date_leaves_the_day_out(collectivity_a, regie, canteen):
    tariff_make(canteen, valid_from=datetime.date(2026, 11, 10))
    family = family_make(collectivity_a)
    child = child_make(family)
    book(child, canteen, datetime.date(2026, 11, 5))
    book(child, canteen, datetime.date(2026, 11, 12))
    run = draft(regie, [canteen])
    assert [d.day for _n, d, _p in prices(run)] == [12]
    anomaly = RunAnomaly.objects.get(run=run)
    assert anomaly.kind == RunAnomaly.Kind.NO_TARIFF and "05/11" in anomaly.detail


def test_an_hourly_tariff_bills_the_slots_duration(collectivity_a, regie):
    evening = activity_make(
        collectivity_a,
        name="Accueil du soir",
        start_time=datetime.time(16, 30),
        end_time=datetime.time(18, 15),
    )
    tariff_make(evening, (("0", None, "2.00"),), unit=Tariff.Unit.HOUR)
    family = family_make(collectivity_a)
    book(child_make(family), evening, DAY)
    run = draft(regie, [evening])
    line = RunLine.objects.get(run_family__run=run)
    assert (line.quantity, line.unit_price, line.amount) == (
        Decimal("1.75"),
        Decimal("2.00"),
        Decimal("3.50"),
    )


def test_an_excused_absence_is_free_and_a_billed_one_costs_its_price(
    collectivity_a, regie, canteen
):
    tariff_make(canteen, absence_price="1.50")
    family = family_make(collectivity_a, qf="650")
    child = child_make(family)
    book(child, canteen, datetime.date(2026, 11, 2), State.PRESENT)
    book(child, canteen, datetime.date(2026, 11, 3), State.ABSENT)
    book(child, canteen, datetime.date(2026, 11, 5), State.ABSENT_BILLED)
    run = draft(regie, [canteen])
    lines = list(
        RunLine.objects.filter(run_family__run=run)
        .order_by("date")
        .values_list("kind", "unit_price", "amount")
    )
    assert lines == [
        ("charge", Decimal("2.00"), Decimal("2.00")),
        ("excused", Decimal("0.00"), Decimal("0.00")),
        ("charge", Decimal("1.50"), Decimal("1.50")),
    ]
    assert RunFamily.objects.get(run=run).total == Decimal("3.50")


def test_a_billed_absence_without_its_own_price_costs_the_day(collectivity_a, regie, canteen):
    tariff_make(canteen, reductions=((2, "50"),))
    family = family_make(collectivity_a, qf="1000")
    child_make(family, "Adam", datetime.date(2015, 1, 1))
    younger = child_make(family, "Lina", datetime.date(2019, 1, 1))
    book(family.children.get(first_name="Adam"), canteen, DAY)
    book(younger, canteen, DAY, State.ABSENT_BILLED)
    run = draft(regie, [canteen])
    assert RunLine.objects.get(child=younger, run_family__run=run).amount == Decimal("1.75")


def test_reserved_days_not_recorded_follow_the_runs_choice(collectivity_a, regie, canteen):
    tariff_make(canteen)
    family = family_make(collectivity_a)
    child = child_make(family)
    book(child, canteen, datetime.date(2026, 11, 2), State.PRESENT)
    book(child, canteen, datetime.date(2026, 11, 3), State.RESERVED, marked=False)
    billed = draft(regie, [canteen], bill_unrecorded=True)
    assert RunFamily.objects.get(run=billed).total == Decimal("4.00")
    assert not RunAnomaly.objects.filter(run=billed).exists()
    billed.delete()
    left = draft(regie, [canteen], bill_unrecorded=False)
    assert RunFamily.objects.get(run=left).total == Decimal("2.00")
    anomaly = RunAnomaly.objects.get(run=left)
    assert anomaly.kind == RunAnomaly.Kind.UNRECORDED and "03/11" in anomaly.detail


def test_days_not_yet_past_are_never_billed(collectivity_a, regie, canteen):
    tariff_make(canteen)
    family = family_make(collectivity_a)
    child = child_make(family)
    book(child, canteen, datetime.date(2026, 12, 9))
    book(child, canteen, datetime.date(2026, 12, 14), State.RESERVED, marked=False)
    run = run_create(
        regie=regie,
        label="Décembre 2026",
        period_start=datetime.date(2026, 12, 1),
        period_end=datetime.date(2026, 12, 31),
        activities=[canteen],
        bill_unrecorded=True,
        due_date=datetime.date(2027, 1, 31),
    )
    assert RunFamily.objects.get(run=run).total == Decimal("2.00")
    assert RunAnomaly.objects.get(run=run).kind == RunAnomaly.Kind.UNRECORDED


def test_other_states_and_activities_are_not_billed(collectivity_a, regie, canteen):
    tariff_make(canteen)
    other = activity_make(collectivity_a, name="Accueil du mercredi")
    tariff_make(other)
    family = family_make(collectivity_a)
    child = child_make(family)
    for state in (State.PENDING, State.WAITING, State.OFFERED, State.CANCELLED):
        book(child, canteen, datetime.date(2026, 11, 2 + list(State).index(state)), state)
    book(child, other, DAY)
    book(child, canteen, datetime.date(2026, 10, 30))  # before the period
    run = draft(regie, [canteen])
    assert not RunFamily.objects.filter(run=run).exists()
