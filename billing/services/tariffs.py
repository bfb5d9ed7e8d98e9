"""Tariffs: what an activity costs over a period of validity, by family-quotient bracket, with
sibling reductions by the child's rank.

``tariff_save`` creates or changes one tariff with its brackets and rank reductions in one
transaction, after checking everything (nothing is saved when one check fails; every problem
found is in ``TariffError.messages``):

- the period is ordered and overlaps no other tariff of the same activity;
- the brackets start at a quotient of 0, follow each other in increasing order without
  overlapping or leaving a gap (both bounds are included and quotients have cents, so the
  bracket after « 0 to 500 » starts at 500.01), and only the last one is open-ended, so every
  quotient has exactly one price;
- prices are not negative, ranks start at 2 and appear once, percents are between 0 and 100.

A tariff already billed (a line of its activity on an invoice of an invoicing run whose period
meets the tariff's dates) keeps its prices: only its end date may change, and not before the
last day billed. A new price starts with a new tariff from a date: ``tariff_save(...,
replaces=old)`` closes the old one the day before, in the same transaction.
"""

import dataclasses
import datetime
import itertools
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from notifications.services import event_record
from portal.errors import DomainError
from portal.formats import euros

from ..models import InvoiceLine, InvoicingRun, Tariff, TariffBracket, TariffRankReduction

CENT = Decimal("0.01")
PRICE_FIELDS = ("unit", "absence_price", "no_quotient")


class TariffError(DomainError):
    """A refused tariff; ``messages`` lists every problem found (``message`` is the first)."""

    def __init__(self, messages: list[str]):
        super().__init__(messages[0])
        self.messages = [str(message) for message in messages]


@dataclasses.dataclass(frozen=True)
class BracketInput:
    qf_min: Decimal
    qf_max: Decimal | None
    price: Decimal


@dataclasses.dataclass(frozen=True)
class ReductionInput:
    rank: int
    percent: Decimal


def _day(value: datetime.date) -> str:
    return value.strftime("%d/%m/%Y")


def _qf(value: Decimal) -> str:
    return euros(value)


def _bracket_label(number: int, bracket: BracketInput) -> str:
    if bracket.qf_max is None:
        return _("la tranche n° %(n)s (à partir de %(min)s)") % {
            "n": number,
            "min": _qf(bracket.qf_min),
        }
    return _("la tranche n° %(n)s (de %(min)s à %(max)s)") % {
        "n": number,
        "min": _qf(bracket.qf_min),
        "max": _qf(bracket.qf_max),
    }


def brackets_problems(brackets: list[BracketInput]) -> list[str]:
    """What is wrong with a list of brackets, in the order entered (empty: they are fine)."""
    if not brackets:
        return [_("Indiquez au moins une tranche de quotient familial avec son prix.")]
    problems = []
    for number, bracket in enumerate(brackets, start=1):
        if bracket.price < 0:
            problems.append(
                _("Le prix de %(bracket)s est négatif.")
                % {"bracket": _bracket_label(number, bracket)}
            )
        if bracket.qf_min < 0:
            problems.append(
                _("Le quotient de départ de la tranche n° %(n)s est négatif.") % {"n": number}
            )
        if bracket.qf_max is not None and bracket.qf_max < bracket.qf_min:
            problems.append(
                _("La tranche n° %(n)s finit (%(max)s) avant de commencer (%(min)s).")
                % {"n": number, "min": _qf(bracket.qf_min), "max": _qf(bracket.qf_max)}
            )
    if problems:
        return problems
    first = brackets[0]
    if first.qf_min > 0:
        problems.append(
            _(
                "Aucune tranche ne couvre les quotients de %(min)s à %(max)s : la première "
                "tranche commence à 0."
            )
            % {"min": _qf(Decimal(0)), "max": _qf(first.qf_min - CENT)}
        )
    for number, (previous, current) in enumerate(itertools.pairwise(brackets), start=2):
        names = {
            "current": _bracket_label(number, current),
            "previous": _bracket_label(number - 1, previous),
        }
        if current.qf_min < previous.qf_min:
            problems.append(
                _(
                    "Les tranches se suivent par quotient croissant : %(current)s commence "
                    "avant %(previous)s."
                )
                % names
            )
        elif previous.qf_max is None:
            problems.append(
                _(
                    "Seule la dernière tranche peut être ouverte (sans quotient de fin) : "
                    "indiquez la fin de %(previous)s."
                )
                % names
            )
        elif current.qf_min <= previous.qf_max:
            problems.append(
                _(
                    "%(current)s chevauche %(previous)s : les deux bornes sont comprises, "
                    "elle doit commencer à %(start)s."
                )
                % {
                    **names,
                    "current": capfirst(names["current"]),
                    "start": _qf(previous.qf_max + CENT),
                }
            )
        elif current.qf_min > previous.qf_max + CENT:
            problems.append(
                _("Aucune tranche ne couvre les quotients de %(min)s à %(max)s.")
                % {"min": _qf(previous.qf_max + CENT), "max": _qf(current.qf_min - CENT)}
            )
    last = brackets[-1]
    if last.qf_max is not None and not problems:
        problems.append(
            _(
                "Aucune tranche ne couvre les quotients au-delà de %(max)s : laissez vide la "
                "fin de la dernière tranche."
            )
            % {"max": _qf(last.qf_max)}
        )
    return problems


def reductions_problems(reductions: list[ReductionInput]) -> list[str]:
    problems = []
    seen = set()
    for reduction in reductions:
        if reduction.rank < 2:
            problems.append(
                _(
                    "Une réduction s’applique à partir du 2ᵉ enfant : le rang %(rank)s n’est "
                    "pas possible."
                )
                % {"rank": reduction.rank}
            )
        if not Decimal(0) <= reduction.percent <= Decimal(100):
            problems.append(
                _(
                    "Le pourcentage du rang %(rank)s (%(percent)s %%) doit être compris entre "
                    "0 et 100."
                )
                % {"rank": reduction.rank, "percent": reduction.percent}
            )
        if reduction.rank in seen:
            problems.append(_("Le rang %(rank)s est indiqué deux fois.") % {"rank": reduction.rank})
        seen.add(reduction.rank)
    return problems


def _overlaps(queryset, valid_from, valid_to):
    """Tariffs of ``queryset`` whose period meets [valid_from, valid_to] (None: open)."""
    queryset = queryset.exclude(valid_to__lt=valid_from)
    if valid_to is not None:
        queryset = queryset.exclude(valid_from__gt=valid_to)
    return queryset


def tariff_billed_until(tariff: Tariff) -> datetime.date | None:
    """The last day of the tariff's period already billed by an invoicing run (None: never
    billed, its prices may still change)."""
    runs = InvoicingRun.objects.filter(
        pk__in=InvoiceLine.objects.filter(
            activity_id=tariff.activity_id, invoice__run__isnull=False
        ).values("invoice__run_id"),
        period_end__gte=tariff.valid_from,
    ).exclude(status=InvoicingRun.Status.DRAFT)
    if tariff.valid_to is not None:
        runs = runs.filter(period_start__lte=tariff.valid_to)
    last = runs.aggregate(last=Max("period_end"))["last"]
    if last is None:
        return None
    return min(last, tariff.valid_to) if tariff.valid_to else last


def _stored(tariff: Tariff):
    brackets = [
        BracketInput(b.qf_min, b.qf_max, b.price) for b in tariff.brackets.order_by("qf_min")
    ]
    reductions = sorted(
        (ReductionInput(r.rank, r.percent) for r in tariff.rank_reductions.all()),
        key=lambda r: r.rank,
    )
    return brackets, reductions


def _prices_changed(tariff: Tariff, values: dict, brackets, reductions) -> bool:
    if values["activity"].pk != tariff.activity_id or values["valid_from"] != tariff.valid_from:
        return True
    if any(values.get(name) != getattr(tariff, name) for name in PRICE_FIELDS):
        return True
    stored_brackets, stored_reductions = _stored(tariff)
    return stored_brackets != list(brackets) or stored_reductions != sorted(
        reductions, key=lambda r: r.rank
    )


def _billed_problems(tariff: Tariff, values: dict, brackets, reductions) -> list[str]:
    billed_until = tariff_billed_until(tariff)
    if billed_until is None:
        return []
    names = {"date": _day(billed_until)}
    if _prices_changed(tariff, values, brackets, reductions):
        return [
            _(
                "Ce tarif a déjà servi à des factures émises (jusqu’au %(date)s) : ses prix, "
                "son activité et sa date de début ne changent plus. Pour de nouveaux prix, "
                "créez un nouveau tarif à partir d’une date (« Nouveau tarif à partir du… »)."
            )
            % names
        ]
    valid_to = values.get("valid_to")
    if valid_to is not None and valid_to < billed_until:
        return [
            _(
                "Ce tarif a déjà été facturé jusqu’au %(date)s : il ne peut pas finir avant "
                "cette date."
            )
            % names
        ]
    return []


@transaction.atomic
def tariff_save(
    *,
    collectivity,
    values: dict,
    brackets: list[BracketInput],
    reductions: list[ReductionInput],
    tariff: Tariff | None = None,
    replaces: Tariff | None = None,
    by=None,
) -> Tariff:
    """Create (``tariff`` None) or change a tariff of one of ``collectivity``'s activities.

    ``values``: activity, valid_from, valid_to, unit, absence_price, no_quotient. ``replaces``
    (creation only): a tariff of the same activity that the new one follows; it is closed the
    day before the new one starts (refused if that day was already billed)."""
    activity = values["activity"]
    if activity.collectivity_id != collectivity.pk or (
        tariff is not None and tariff.activity.collectivity_id != collectivity.pk
    ):
        raise TariffError([_("Cette activité n’appartient pas à votre collectivité.")])
    if tariff is not None:
        # Serialise changes of one tariff (two agents saving at once).
        tariff = Tariff.objects.select_for_update().get(pk=tariff.pk)
    valid_from, valid_to = values["valid_from"], values.get("valid_to")
    problems = []
    if valid_to is not None and valid_to < valid_from:
        problems.append(
            _("La fin de validité (%(to)s) est avant son début (%(from)s).")
            % {"to": _day(valid_to), "from": _day(valid_from)}
        )
    absence_price = values.get("absence_price")
    if absence_price is not None and absence_price < 0:
        problems.append(_("Le prix d’une absence facturée ne peut pas être négatif."))
    problems += brackets_problems(list(brackets))
    problems += reductions_problems(list(reductions))
    if tariff is not None:
        problems += _billed_problems(tariff, values, brackets, reductions)

    others = Tariff.objects.filter(activity=activity)
    if tariff is not None:
        others = others.exclude(pk=tariff.pk)
    if replaces is not None:
        replaces = Tariff.objects.select_for_update().get(pk=replaces.pk)
        if tariff is not None or replaces.activity_id != activity.pk:
            raise TariffError([_("Le tarif remplacé doit être de la même activité.")])
        problems += _replace_problems(replaces, valid_from)
        others = others.exclude(pk=replaces.pk)
    if valid_to is None or valid_to >= valid_from:
        clash = _overlaps(others, valid_from, valid_to).order_by("valid_from").first()
        if clash is not None:
            problems.append(
                _(
                    "Cette période chevauche le tarif de « %(activity)s » valable %(period)s : "
                    "les tarifs d’une activité se suivent sans se chevaucher."
                )
                % {"activity": activity.name, "period": tariff_period(clash)}
            )
    if problems:
        raise TariffError(problems)

    if replaces is not None and (replaces.valid_to is None or replaces.valid_to >= valid_from):
        replaces.valid_to = valid_from - datetime.timedelta(days=1)
        replaces.save(update_fields=["valid_to"])
    creating = tariff is None
    if creating:
        tariff = Tariff(activity=activity)
    tariff.activity = activity
    tariff.valid_from, tariff.valid_to = valid_from, valid_to
    for name in PRICE_FIELDS:
        setattr(tariff, name, values.get(name))
    tariff.save()
    tariff.brackets.all().delete()
    tariff.rank_reductions.all().delete()
    TariffBracket.objects.bulk_create(
        TariffBracket(tariff=tariff, qf_min=b.qf_min, qf_max=b.qf_max, price=b.price)
        for b in brackets
    )
    TariffRankReduction.objects.bulk_create(
        TariffRankReduction(tariff=tariff, rank=r.rank, percent=r.percent) for r in reductions
    )
    event_record(
        collectivity=collectivity,
        verb="tariff_created" if creating else "tariff_changed",
        subject=tariff,
        actor=by,
        message=(
            _("Tarif créé : %(activity)s, %(period)s.")
            if creating
            else _("Tarif modifié : %(activity)s, %(period)s.")
        )
        % {"activity": activity.name, "period": tariff_period(tariff)},
        data={"replaces": replaces.pk} if replaces is not None else None,
    )
    return tariff


def _replace_problems(replaces: Tariff, valid_from: datetime.date) -> list[str]:
    if valid_from <= replaces.valid_from:
        return [
            _("Le nouveau tarif doit commencer après le %(date)s, début du tarif qu’il remplace.")
            % {"date": _day(replaces.valid_from)}
        ]
    if replaces.valid_to is not None and valid_from > replaces.valid_to:
        return []  # it starts after the old one ended: nothing of the old one changes
    billed_until = tariff_billed_until(replaces)
    if billed_until is not None and valid_from <= billed_until:
        return [
            _(
                "Le tarif remplacé a déjà été facturé jusqu’au %(date)s : le nouveau tarif "
                "commence au plus tôt le lendemain."
            )
            % {"date": _day(billed_until)}
        ]
    return []


def tariff_period(tariff: Tariff) -> str:
    """« du 01/09/2026 au 31/08/2027 », « à partir du 01/09/2026 »."""
    if tariff.valid_to is None:
        return _("à partir du %(from)s") % {"from": _day(tariff.valid_from)}
    return _("du %(from)s au %(to)s") % {
        "from": _day(tariff.valid_from),
        "to": _day(tariff.valid_to),
    }
