"""Pricing a booking from the tariffs of its activity and the family's quotient (QF).

``pricing_load`` reads, in a fixed number of queries whatever the number of families, the
tariffs of a run's activities (their brackets and rank reductions) and the quotient periods of
every family of the collectivity over the period; ``price`` then prices one booking in memory:

- the tariff is the one of the activity valid on the slot's date;
- the QF is the family's quotient valid on that date (``QuotientPeriod``);
- the bracket is the one with ``qf_min <= QF <= qf_max`` (both included; an empty ``qf_max``
  is open); several brackets sharing a limit: the lower one wins (a QF of exactly 700 with
  0–700 and 700–1 200 pays the 0–700 price);
- without a quotient, the tariff's policy: the highest bracket, or « block » (an anomaly);
- the child's rank lowers the price by the highest ``TariffRankReduction`` whose rank is at
  most the child's (rank 3 with reductions from 2 and 3 on: the rank-3 one);
- the quantity is 1 per slot for a day, half-day or meal, the slot's duration in hours for an
  hourly tariff;
- a billed absence costs the tariff's ``absence_price`` once (quantity 1, no rank reduction:
  it is a fixed fee), or the day's own price when the tariff has none.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from family.models import QuotientPeriod
from portal.formats import money_round

from ..models import Tariff

HUNDRED = Decimal(100)


class NoTariff(Exception):
    """No tariff of the activity covers the date, or no bracket holds the quotient."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class NoQuotient(Exception):
    """The family has no quotient on that date and the tariff blocks such families."""


@dataclass(frozen=True)
class Bracket:
    qf_min: Decimal
    qf_max: Decimal | None
    price: Decimal


@dataclass
class TariffData:
    pk: int
    valid_from: datetime.date
    valid_to: datetime.date | None
    unit: str
    absence_price: Decimal | None
    no_quotient: str
    brackets: list[Bracket] = field(default_factory=list)
    # (rank, percent), highest rank first.
    reductions: list[tuple[int, Decimal]] = field(default_factory=list)

    def covers(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def bracket(self, qf: Decimal | None) -> Bracket:
        if not self.brackets:
            raise NoTariff("tarif sans tranche")
        if qf is None:
            if self.no_quotient == Tariff.NoQuotient.BLOCK:
                raise NoQuotient()
            return self.brackets[-1]
        for bracket in self.brackets:
            if bracket.qf_min <= qf and (bracket.qf_max is None or qf <= bracket.qf_max):
                return bracket
        raise NoTariff(f"aucune tranche pour un quotient de {qf}")

    def percent(self, rank: int) -> Decimal:
        for from_rank, percent in self.reductions:
            if rank >= from_rank:
                return percent
        return HUNDRED


@dataclass(frozen=True)
class Quote:
    tariff_id: int
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    family_quotient: Decimal | None


@dataclass
class PricingBook:
    """Everything a run needs to price its bookings, in memory."""

    tariffs: dict[int, list[TariffData]]
    quotients: dict[int, list[tuple[datetime.date, datetime.date | None, Decimal]]]

    def tariff(self, activity_id: int, day: datetime.date) -> TariffData:
        for tariff in self.tariffs.get(activity_id, ()):
            if tariff.covers(day):
                return tariff
        raise NoTariff(f"pas de tarif le {day:%d/%m/%Y}")

    def quotient(self, family_id: int, day: datetime.date) -> Decimal | None:
        """The quotient valid on ``day``; when periods overlap, the one that began last."""
        for valid_from, valid_to, value in self.quotients.get(family_id, ()):
            if valid_from <= day and (valid_to is None or day <= valid_to):
                return value
        return None


def pricing_load(*, collectivity_id: int, activity_ids, start, end) -> PricingBook:
    """Four queries: tariffs, their brackets, their reductions, the quotients."""
    rows = (
        Tariff.objects.filter(activity_id__in=list(activity_ids), valid_from__lte=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        .prefetch_related("brackets", "rank_reductions")
        .order_by("activity_id", "-valid_from", "-pk")
    )
    tariffs: dict[int, list[TariffData]] = defaultdict(list)
    for row in rows:
        data = TariffData(
            pk=row.pk,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            unit=row.unit,
            absence_price=row.absence_price,
            no_quotient=row.no_quotient,
            brackets=sorted(
                (Bracket(b.qf_min, b.qf_max, b.price) for b in row.brackets.all()),
                key=lambda b: (b.qf_min, b.qf_max is None, b.qf_max or 0),
            ),
            reductions=sorted(
                ((r.rank, r.percent) for r in row.rank_reductions.all()), reverse=True
            ),
        )
        tariffs[row.activity_id].append(data)
    quotients = defaultdict(list)
    periods = (
        QuotientPeriod.objects.filter(family__collectivity_id=collectivity_id, valid_from__lte=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        .order_by("family_id", "-valid_from", "-pk")
        .values_list("family_id", "valid_from", "valid_to", "value")
    )
    for family_id, valid_from, valid_to, value in periods:
        quotients[family_id].append((valid_from, valid_to, value))
    return PricingBook(dict(tariffs), dict(quotients))


def unit_quantity(unit: str, start: datetime.time, end: datetime.time) -> Decimal:
    if unit != Tariff.Unit.HOUR:
        return Decimal(1)
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return (Decimal(max(minutes, 0)) / 60).quantize(Decimal("0.01"))


def price(
    book: PricingBook,
    *,
    activity_id: int,
    family_id: int,
    day: datetime.date,
    start: datetime.time,
    end: datetime.time,
    rank: int,
    billed_absence: bool = False,
) -> Quote:
    """The price of one booking (raises ``NoTariff`` or ``NoQuotient``)."""
    tariff = book.tariff(activity_id, day)
    qf = book.quotient(family_id, day)
    if billed_absence and tariff.absence_price is not None:
        unit_price = money_round(tariff.absence_price)
        return Quote(tariff.pk, Decimal(1), unit_price, unit_price, qf)
    bracket = tariff.bracket(qf)
    unit_price = money_round(bracket.price * tariff.percent(rank) / HUNDRED)
    quantity = unit_quantity(tariff.unit, start, end)
    return Quote(tariff.pk, quantity, unit_price, money_round(quantity * unit_price), qf)
