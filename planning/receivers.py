"""Reactions of the planning app to other apps' signals.

``family.signals.family_created``: the activities wished on step 3 of the family-space
creation form become pending pre-enrolment requests of the new children, in the transaction
that creates the family (same collectivity, period = the activity's).
"""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from family.signals import family_created
from notifications.services import event_record
from portal.modules import Module, module_enabled

from .errors import PlanningError
from .models import Activity
from .services.enrolments import enrolment_request


@receiver(family_created, dispatch_uid="planning_creation_enrolments")
def creation_enrolments(sender, request, family, children, **kwargs):
    wished = (request.data or {}).get("enrolments") or []
    if not wished or not module_enabled(family.collectivity, Module.ENROLMENT):
        return
    activities = Activity.objects.filter(
        collectivity=family.collectivity,
        pk__in=[row.get("activity_id") for row in wished],
    ).in_bulk()
    for row in wished:
        index = row.get("child_index")
        activity = activities.get(row.get("activity_id"))
        if not isinstance(index, int) or not 0 <= index < len(children) or activity is None:
            continue
        child = children[index]
        try:
            enrolment_request(
                child=child,
                activity=activity,
                start_date=activity.start_date,
                end_date=activity.end_date,
                weekdays=[],
                user=request.user,
                comment=_("Demandée avec le formulaire de création de l’espace famille."),
            )
        except PlanningError as error:
            # The activity changed since the parent chose it (closed, new age range…): the
            # family reads why on its timeline; the family itself is still created.
            event_record(
                collectivity=family.collectivity,
                family_id=family.pk,
                subject=family,
                actor=request.user,
                verb="enrolment_request_not_created",
                message=_(
                    "Pré-inscription de %(child)s à « %(activity)s » non enregistrée : %(why)s"
                )
                % {"child": child.first_name, "activity": activity.name, "why": error.message},
            )
