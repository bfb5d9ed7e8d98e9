"""Change requests as agents read them: a subject (« Léa Dupont — Données sanitaires »), the
fields changed from what to what, health values only for agents with the health role, and the
back office's pending count. Reads only: the health-data access log is written by the views,
through ``family.services.health_access_record``, for the children ``health_children`` names.
"""

from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ..models import (
    AuthorizationType,
    ChangeRequest,
    Child,
    ChildPhoto,
    FamilyCreationRequest,
    Guardian,
)
from .dossier import TARGET_FIELDS

Target = ChangeRequest.Target
Status = ChangeRequest.Status


@dataclass
class FieldChange:
    """One changed field: ``old`` and ``new`` as stored, shown with ``|dossier_value:field``."""

    label: str
    old: object
    new: object
    field: object = None  # the model field (None for an authorisation's yes/no)


@dataclass
class RequestRow:
    request: ChangeRequest
    subject: str
    restricted: bool
    changes: list[FieldChange] = field(default_factory=list)
    photo_url: str = ""
    shows_health: bool = False  # displays a child's health values (to be logged)

    @property
    def can_decide(self) -> bool:
        return self.request.status == Status.PENDING and not self.restricted


def _target_model(target: str):
    if target == Target.PHOTO:
        return ChildPhoto
    if target == Target.AUTHORIZATIONS:
        return None
    return TARGET_FIELDS[target][0]


def _model_field(model, name: str):
    try:
        return model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        return None


def _field_label(model, name: str, auth_labels: dict) -> str:
    if name.startswith("auth_"):
        try:
            return auth_labels.get(int(name.removeprefix("auth_")), name)
        except ValueError:
            return name
    model_field = _model_field(model, name)
    return capfirst(str(model_field.verbose_name)) if model_field is not None else name


def person_name(first, last) -> str:
    return " ".join(part for part in (first or "", last or "") if part).strip()


def _subject(request: ChangeRequest, guardians: dict, children: dict) -> str:
    """ "Léa Dupont — Données sanitaires", "Sophie Dupont (responsable 1) — Responsable"…"""
    target_label = request.get_target_display()
    new_name = person_name(
        request.changes.get("first_name", {}).get("new"),
        request.changes.get("last_name", {}).get("new"),
    )
    old_name = person_name(
        request.changes.get("first_name", {}).get("old"),
        request.changes.get("last_name", {}).get("old"),
    )
    if request.target == Target.GUARDIAN:
        guardian = guardians.get(request.object_id)
        if guardian is not None:
            who = _("%(name)s (responsable %(rank)s)") % {
                "name": person_name(guardian.first_name, guardian.last_name),
                "rank": guardian.rank,
            }
        else:
            who = new_name or old_name or _("Nouveau responsable")
        parts = [who, target_label]
    elif request.target == Target.CHILD:
        child = request.child or children.get(request.object_id)
        who = person_name(child.first_name, child.last_name) if child else ""
        parts = [who or new_name or _("Nouvel enfant"), target_label]
    elif request.target in (Target.BANK, Target.FISCAL):
        parts = [target_label]
    else:
        child = request.child
        parts = [person_name(child.first_name, child.last_name) if child else "", target_label]
        if request.target == Target.AUTHORIZED_ADULT and (new_name or old_name):
            parts.append(new_name or old_name)
    if request.action != ChangeRequest.Action.UPDATE:
        parts.append(request.get_action_display())
    return " — ".join(part for part in parts if part)


def _changes(request: ChangeRequest, auth_labels: dict) -> list[FieldChange]:
    model = _target_model(request.target)
    return [
        FieldChange(
            label=_field_label(model, name, auth_labels),
            old=change.get("old"),
            new=change.get("new"),
            field=_model_field(model, name),
        )
        for name, change in request.changes.items()
        if not (request.target == Target.PHOTO and name == "content_type")
    ]


def describe_requests(scope, requests: list[ChangeRequest], *, values: bool = True) -> list:
    """Rows for the queue, the detail page and the family history, in a fixed number of
    queries (guardians, children and authorisation labels fetched once for all rows).

    Health values are shown only to agents with the health role; the caller logs the children
    whose values it displays (``health_children``). ``values=False`` gives the subjects only
    (for messages)."""
    guardian_ids = {r.object_id for r in requests if r.target == Target.GUARDIAN and r.object_id}
    child_ids = {
        r.object_id
        for r in requests
        if r.target == Target.CHILD and r.object_id and r.child_id is None
    }
    guardians = (
        {g.pk: g for g in scope.agent(Guardian).filter(pk__in=guardian_ids)} if guardian_ids else {}
    )
    children = {c.pk: c for c in scope.agent(Child).filter(pk__in=child_ids)} if child_ids else {}
    auth_labels = {}
    if values and any(r.target == Target.AUTHORIZATIONS for r in requests):
        auth_labels = dict(scope.agent(AuthorizationType).values_list("pk", "label"))
    may_see_health = scope.can_view_health_data
    rows = []
    for request in requests:
        restricted = request.target == Target.HEALTH and not may_see_health
        row = RequestRow(
            request=request,
            subject=_subject(request, guardians, children),
            restricted=restricted,
        )
        if values and not restricted:
            row.changes = _changes(request, auth_labels)
            if request.target == Target.PHOTO and request.photo:
                row.photo_url = reverse("family_admin:request_photo", args=[request.pk])
            row.shows_health = request.target == Target.HEALTH and bool(request.child_id)
        rows.append(row)
    return rows


def health_children(rows: list[RequestRow]) -> set[int]:
    """The children whose health values these rows display."""
    return {row.request.child_id for row in rows if row.shows_health}


def change_requests(scope):
    """The collectivity's change requests, for agents only."""
    return scope.agent(ChangeRequest).select_related("family", "child", "created_by", "decided_by")


def _creation_url(pk: int) -> str:
    # The creation requests' own view (family.admin.creation) may not be installed yet.
    try:
        return reverse("family_admin:creation_detail", args=[pk])
    except NoReverseMatch:
        return ""


def pending_creations(scope, *, limit: int = 200) -> list[dict]:
    """Sent creation requests waiting for a decision, oldest first, as queue rows."""
    requests = (
        scope.agent(FamilyCreationRequest)
        .filter(status=FamilyCreationRequest.Status.PENDING)
        .select_related("user")
        .order_by("submitted_at", "created_at", "pk")[:limit]
    )
    rows = []
    for creation in requests:
        guardians = (creation.data or {}).get("guardians") or []
        first = guardians[0] if guardians and isinstance(guardians[0], dict) else {}
        rows.append(
            {
                "request": creation,
                "name": person_name(first.get("first_name"), first.get("last_name")),
                "children": len((creation.data or {}).get("children") or []),
                "url": _creation_url(creation.pk),
            }
        )
    return rows


def pending_counts(scope) -> int:
    """Pending change and creation requests of the collectivity (the menu's badge)."""
    return (
        scope.agent(ChangeRequest).filter(status=Status.PENDING).count()
        + scope.agent(FamilyCreationRequest)
        .filter(status=FamilyCreationRequest.Status.PENDING)
        .count()
    )
