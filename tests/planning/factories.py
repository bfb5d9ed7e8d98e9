"""Factories for the planning app. Dates default to the 2026-2027 school year."""

import datetime

import factory

from family.models import Child
from planning.models import Activity, Booking, Enrolment, Slot
from tests.portal.factories import FamilyFactory


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    family = factory.SubFactory(FamilyFactory)
    # Not random: see tests/portal/factories.py.
    first_name = factory.Sequence(lambda n: f"Enfant{n}X")
    last_name = factory.LazyAttribute(lambda o: o.family.name)
    birth_date = datetime.date(2018, 5, 4)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    name = factory.Sequence(lambda n: f"Restauration scolaire {n}")
    kind = Activity.Kind.CANTEEN
    place = "École Jules-Ferry"
    color = "#1f5f99"
    start_date = datetime.date(2026, 9, 1)
    end_date = datetime.date(2027, 7, 3)
    weekdays = [0, 1, 3, 4]
    opening = Activity.Opening.TERM_TIME
    start_time = datetime.time(11, 30)
    end_time = datetime.time(13, 30)
    capacity = 30
    requires_approval = True


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    activity = factory.SubFactory(ActivityFactory)
    date = datetime.date(2026, 12, 3)
    start_time = factory.LazyAttribute(lambda o: o.activity.start_time)
    end_time = factory.LazyAttribute(lambda o: o.activity.end_time)
    capacity = factory.LazyAttribute(lambda o: o.activity.capacity)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    child = factory.SubFactory(ChildFactory)
    activity = factory.SubFactory(ActivityFactory)
    start_date = factory.LazyAttribute(lambda o: o.activity.start_date)
    end_date = factory.LazyAttribute(lambda o: o.activity.end_date)
    status = Enrolment.Status.ACCEPTED


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    child = factory.SubFactory(ChildFactory)
    slot = factory.SubFactory(SlotFactory)
    state = Booking.State.RESERVED
