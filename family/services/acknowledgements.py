"""What the acknowledgements of a dossier change and of a family-space creation say.

A dossier change names the part of the dossier, whose it is (the child, the guardian, the
authorised adult) and each field changed as « Ville : Paris → Orléans » — the IBAN masked as
parents read it. Health data never leaves the portal by e-mail: for the health part the
e-mail says only that the health information was changed, without fields or values. A
creation names the children's first names and the guardians' names. The templates only
display what these functions return.
"""

from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from ..display import dossier_value, iban_masked
from ..models import AuthorizationType, ChangeRequest, FamilyCreationRequest
from ..selectors.dossier import TARGET_FIELDS, target_instance
from ..selectors.requests import _field_label, person_name

Target = ChangeRequest.Target
Action = ChangeRequest.Action


@dataclass
class ChangedField:
    """« Ville : Paris → Orléans »."""

    label: str
    old: str
    new: str

    @property
    def text(self) -> str:
        if self.old == self.new == "":
            return self.label
        return _("%(label)s : %(old)s → %(new)s") % {
            "label": self.label,
            "old": self.old or _("non renseigné"),
            "new": self.new or _("non renseigné"),
        }


@dataclass
class ChangeAcknowledgement:
    what: str  # « Responsable », « Données sanitaires »
    action: str  # « Ajout », « Suppression »; "" for a change
    whose: str  # « Léa », « Sophie Dupont », « Léa — Paul Martin », or ""
    child: str  # the child's first name, or ""
    health: bool = False
    photo: bool = False
    fields: list[ChangedField] = field(default_factory=list)


def _shown(name: str, value, model_field) -> str:
    if name == "iban" and value:
        return iban_masked(str(value))
    return dossier_value(value, model_field)


def _fields(request: ChangeRequest) -> list[ChangedField]:
    model = None if request.target == Target.AUTHORIZATIONS else TARGET_FIELDS[request.target][0]
    auth_labels = {}
    if request.target == Target.AUTHORIZATIONS:
        auth_labels = dict(
            AuthorizationType.objects.filter(
                collectivity_id=request.family.collectivity_id
            ).values_list("pk", "label")
        )
    rows = []
    for name, change in request.changes.items():
        try:
            model_field = model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            model_field = None
        rows.append(
            ChangedField(
                label=_field_label(model, name, auth_labels),
                old=_shown(name, change.get("old"), model_field),
                new=_shown(name, change.get("new"), model_field),
            )
        )
    return rows


def _whose(request: ChangeRequest) -> tuple[str, str]:
    """(whose, child first name) of the request."""
    target, family = request.target, request.family
    child = request.child
    if target == Target.CHILD and child is None and request.object_id:
        child = family.children.filter(pk=request.object_id).first()
    child_name = child.first_name if child is not None else ""
    new = {key: (value or {}).get("new") for key, value in request.changes.items()}
    if target == Target.GUARDIAN:
        guardian = family.guardians.filter(pk=request.object_id).first()
        if guardian is not None:
            return person_name(guardian.first_name, guardian.last_name), ""
        return person_name(new.get("first_name"), new.get("last_name")), ""
    if target == Target.CHILD and not child_name:
        return new.get("first_name") or "", new.get("first_name") or ""
    if target == Target.AUTHORIZED_ADULT:
        adult = target_instance(
            family=family, target=target, object_id=request.object_id, child=child
        )
        name = (
            person_name(adult.first_name, adult.last_name)
            if adult is not None
            else person_name(new.get("first_name"), new.get("last_name"))
        )
        return " — ".join(part for part in (child_name, name) if part), child_name
    return child_name, child_name


def change_acknowledgement(request: ChangeRequest) -> ChangeAcknowledgement:
    """What the acknowledgement of ``request`` says (no health value, ever)."""
    whose, child = _whose(request)
    ack = ChangeAcknowledgement(
        what=request.get_target_display(),
        action=request.get_action_display() if request.action != Action.UPDATE else "",
        whose=whose,
        child=child,
    )
    if request.target == Target.HEALTH:
        ack.health = True
    elif request.target == Target.PHOTO:
        ack.photo = True
    elif request.action != Action.DELETE:
        ack.fields = _fields(request)
    return ack


def creation_acknowledgement(request: FamilyCreationRequest) -> dict:
    """The guardians' names and the children's first names of a creation request."""
    data = request.data or {}
    guardians = [
        person_name(guardian.get("first_name"), guardian.get("last_name"))
        for guardian in data.get("guardians") or []
    ]
    children = [child.get("first_name", "") for child in data.get("children") or []]
    return {
        "guardians": [name for name in guardians if name],
        "children": [name for name in children if name],
    }
