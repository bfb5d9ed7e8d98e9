"""Services for the collectivity's list of authorisation types ("autorisations": photos,
leaving alone, transport, emergency care…), kept by agents in the back office.

A type is never deleted (children's answers point to it): it is deactivated, which hides it
from the parents' dossier; it can be reactivated. Each write records an event on the
collectivity's timeline.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from notifications.services import event_record

from ..models import AuthorizationType
from .changes import DossierError

EDITABLE_FIELDS = ("label", "description", "order", "active")


def _clean_label(collectivity, label: str, *, exclude_pk=None) -> str:
    label = (label or "").strip()
    if not label:
        raise DossierError(_("Indiquez le libellé de l’autorisation."))
    duplicates = AuthorizationType.objects.filter(collectivity=collectivity, label__iexact=label)
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    if duplicates.exists():
        raise DossierError(_("Une autorisation porte déjà ce libellé."))
    return label


@transaction.atomic
def authorization_type_create(
    *,
    collectivity,
    label: str,
    description: str = "",
    order: int = 0,
    active: bool = True,
    by,
) -> AuthorizationType:
    authorization_type = AuthorizationType.objects.create(
        collectivity=collectivity,
        label=_clean_label(collectivity, label),
        description=(description or "").strip(),
        order=order or 0,
        active=active,
    )
    event_record(
        collectivity=collectivity,
        subject=authorization_type,
        actor=by,
        verb="authorization_type_created",
        message=_("Autorisation ajoutée : %(label)s.") % {"label": authorization_type.label},
    )
    return authorization_type


@transaction.atomic
def authorization_type_update(
    *, authorization_type: AuthorizationType, by, **values
) -> AuthorizationType:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    locked = AuthorizationType.objects.select_for_update().get(pk=authorization_type.pk)
    if "label" in values:
        values["label"] = _clean_label(locked.collectivity, values["label"], exclude_pk=locked.pk)
    if "description" in values:
        values["description"] = (values["description"] or "").strip()
    changed = sorted(field for field, value in values.items() if getattr(locked, field) != value)
    for field in changed:
        setattr(locked, field, values[field])
    if changed:
        locked.save(update_fields=changed)
        event_record(
            collectivity=locked.collectivity,
            subject=locked,
            actor=by,
            verb="authorization_type_updated",
            message=_("Autorisation modifiée : %(label)s.") % {"label": locked.label},
            data={"fields": changed},
        )
    return locked


@transaction.atomic
def authorization_type_deactivate(
    *, authorization_type: AuthorizationType, by
) -> AuthorizationType:
    authorization_type = AuthorizationType.objects.select_for_update().get(pk=authorization_type.pk)
    if not authorization_type.active:
        raise DossierError(_("Cette autorisation est déjà désactivée."))
    return authorization_type_update(authorization_type=authorization_type, by=by, active=False)
