"""Version counters of what the parent's planning shows: the cached grid's key.

Three counters, all in the database: ``Family.planning_version`` (its children, their
enrolments, bookings, booking requests and request lines), ``Family.roster_version`` (raised
with it by the writes of the roster alone: the children, their enrolments, the family's own row)
and ``Activity.planning_version`` (the activity itself, its slots, its closures). ``bump``
raises them with one ``UPDATE … SET n = n + 1`` per table, in the caller's transaction: a grid
read before the write's commit is stored under the old numbers, which nobody reads again once
the commit makes the new ones visible; a bump can never be seen before the data it stands for.

Every ``save()`` and ``delete()`` of those rows bumps through the receivers below. Bulk writes
(``bulk_create``, ``bulk_update``, ``QuerySet.update``) send no signal: the services that make
them call ``bump`` once per call, with every family, child or activity they touched.

Reading the counters costs no query of its own: the planning reads them with the children
(``select_related("family")``) and the activities it already lists.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save, pre_save

from family.models import Child, Family

from .models import (
    Activity,
    ActivityClosure,
    Booking,
    BookingRequest,
    BookingRequestLine,
    Enrolment,
    Slot,
)


def _ids(values: Iterable) -> set[int]:
    return {value for value in values if value is not None}


def bump(
    *,
    family_ids: Iterable = (),
    child_ids: Iterable = (),
    activity_ids: Iterable = (),
    roster: bool = False,
):
    """Raise the planning version of the families (given, or of the given children) and of
    the activities: at most one statement per table, in the current transaction. ``roster``:
    the write changes the families' children or enrolments (their roster version is raised
    too); without it, only what is booked or asked on their slots."""
    family_ids, child_ids, activity_ids = _ids(family_ids), _ids(child_ids), _ids(activity_ids)
    if family_ids or child_ids:
        # The base managers: a task or a command bumps outside any tenant scope.
        wanted = Q(pk__in=family_ids) if family_ids else Q()
        if child_ids:
            of_children = Q(pk__in=Child._base_manager.filter(pk__in=child_ids).values("family_id"))
            wanted = wanted | of_children if family_ids else of_children
        raised = {"planning_version": F("planning_version") + 1}
        if roster:
            raised["roster_version"] = F("roster_version") + 1
        Family._base_manager.filter(wanted).update(**raised)
    if activity_ids:
        Activity._base_manager.filter(pk__in=activity_ids).update(
            planning_version=F("planning_version") + 1
        )


# --- one row saved or deleted ---------------------------------------------------------------


def _raw(kwargs) -> bool:
    return bool(kwargs.get("raw"))  # fixtures loaded by loaddata


def _of_child(sender, instance, **kwargs):
    if not _raw(kwargs):
        bump(child_ids=[instance.child_id])


def _of_child_roster(sender, instance, **kwargs):
    if not _raw(kwargs):
        bump(child_ids=[instance.child_id], roster=True)


def _of_family(sender, instance, **kwargs):
    if not _raw(kwargs):
        bump(family_ids=[instance.family_id])


def _of_family_roster(sender, instance, **kwargs):
    if not _raw(kwargs):
        bump(family_ids=[instance.family_id], roster=True)


def _of_activity(sender, instance, **kwargs):
    if not _raw(kwargs):
        bump(activity_ids=[instance.activity_id])


def _child_family_before(sender, instance, **kwargs):
    """A child moved to another family leaves the former family's planning too."""
    instance._planning_family_before = None
    if instance.pk is not None and not _raw(kwargs):
        instance._planning_family_before = (
            Child._base_manager.filter(pk=instance.pk).values_list("family_id", flat=True).first()
        )


def _child_saved(sender, instance, **kwargs):
    if not _raw(kwargs):
        before = getattr(instance, "_planning_family_before", None)
        bump(family_ids=[instance.family_id, before], roster=True)


def _family_saved(sender, instance, created, **kwargs):
    # Its name orders the children of a parent with several families.
    if not created and not _raw(kwargs):
        bump(family_ids=[instance.pk], roster=True)


def _activity_saved(sender, instance, created, **kwargs):
    # Name, times, notice rules, « proposée aux familles »: all on the grid.
    if not created and not _raw(kwargs):
        bump(activity_ids=[instance.pk])


def connect() -> None:
    """Called once by ``PlanningConfig.ready``."""
    for model in (Booking, BookingRequestLine):
        post_save.connect(
            _of_child, sender=model, dispatch_uid=f"planning_version_{model.__name__}"
        )
    post_save.connect(_of_child_roster, sender=Enrolment, dispatch_uid="planning_version_Enrolment")
    # Bookings and request lines are only deleted by cascade, from their child, slot or
    # request, whose own receivers bump: a receiver here would also cost the cascade its fast
    # delete (every row loaded) and one UPDATE per row.
    post_delete.connect(
        _of_child_roster, sender=Enrolment, dispatch_uid="planning_version_del_enrolment"
    )
    post_save.connect(_of_family, sender=BookingRequest, dispatch_uid="planning_version_request")
    post_delete.connect(
        _of_family, sender=BookingRequest, dispatch_uid="planning_version_del_request"
    )
    for model in (Slot, ActivityClosure):
        post_save.connect(
            _of_activity, sender=model, dispatch_uid=f"planning_version_{model.__name__}"
        )
        post_delete.connect(
            _of_activity, sender=model, dispatch_uid=f"planning_version_del_{model.__name__}"
        )
    pre_save.connect(_child_family_before, sender=Child, dispatch_uid="planning_version_child_pre")
    post_save.connect(_child_saved, sender=Child, dispatch_uid="planning_version_child")
    post_delete.connect(_of_family_roster, sender=Child, dispatch_uid="planning_version_del_child")
    post_save.connect(_family_saved, sender=Family, dispatch_uid="planning_version_family")
    post_save.connect(_activity_saved, sender=Activity, dispatch_uid="planning_version_activity")
