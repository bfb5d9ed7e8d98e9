"""Writes of activities (back office): saving one, which brings its slots in line with its
calendar, and deleting one that nothing uses yet."""

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from ..errors import PlanningError
from ..models import Activity
from .slots import SlotReport, slots_generate


@transaction.atomic
def activity_save(*, activity: Activity, actor, collectivity=None) -> SlotReport:
    """Save the activity (a new one in ``collectivity``) and regenerate its slots; returns
    what changed in the slots."""
    if collectivity is not None:
        activity.collectivity = collectivity
    activity.save()
    return slots_generate(activity=activity, actor=actor)


def activity_delete(*, activity: Activity) -> None:
    """Delete an activity; refused while enrolments, requests or bookings point to it."""
    try:
        with transaction.atomic():
            activity.delete()
    except ProtectedError as error:
        raise PlanningError(
            _("Cette activité est utilisée : elle ne peut être supprimée.")
        ) from error


@transaction.atomic
def closure_add(*, closure, actor) -> SlotReport:
    """Save a day without activity (a closure of its activity) and regenerate the slots."""
    closure.save()
    return slots_generate(activity=closure.activity, actor=actor)


@transaction.atomic
def closure_remove(*, closure, actor) -> SlotReport:
    """The day becomes an activity day again (if in the calendar): its slot comes back."""
    activity = closure.activity
    closure.delete()
    return slots_generate(activity=activity, actor=actor)
