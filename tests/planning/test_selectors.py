"""The words on a planning cell: a past day the child was enrolled for but not booked is no
longer "réservable" (its own legend state, « Inscrit, non réservable »)."""

import datetime

import pytest
import time_machine

from planning.selectors import BOOKABLE, CLOSED, planning_cells
from tests.planning.factories import ActivityFactory, ChildFactory, EnrolmentFactory, SlotFactory
from tests.portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db


@time_machine.travel(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_past_bookable_day_says_not_booked(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a)
    child = ChildFactory(family=family)
    activity = ActivityFactory(collectivity=collectivity_a)
    EnrolmentFactory(child=child, activity=activity)
    past = SlotFactory(activity=activity, date=datetime.date(2026, 12, 1))
    late = SlotFactory(activity=activity, date=datetime.date(2026, 12, 3))  # deadline past
    future = SlotFactory(activity=activity, date=datetime.date(2026, 12, 10))

    cells = planning_cells(
        family_children=[child],
        activity_ids=[activity.pk],
        start=datetime.date(2026, 11, 30),
        end=datetime.date(2026, 12, 13),
    )
    labels = {cell.slot.pk: (cell.state, cell.label) for cell in cells}
    assert labels[past.pk] == (CLOSED, "Inscrit, non réservable")
    assert labels[late.pk] == (CLOSED, "Inscrit, non réservable")
    assert labels[future.pk] == (BOOKABLE, "Inscrit, réservable")
