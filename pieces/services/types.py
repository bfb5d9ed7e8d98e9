"""Document types of a collectivity (back office « Pièces justificatives » → « Types »)."""

from django.db import transaction
from django.utils.translation import gettext as _

from ..files import DocumentError
from ..models import DocumentType, Format

FIELDS = (
    "name",
    "description",
    "mandatory",
    "holder",
    "validity",
    "validity_months",
    "validity_end_day",
    "validity_end_month",
    "formats",
    "blocks_enrolment",
    "fiscal_proof",
    "active",
    "order",
)


def _clean(values: dict) -> dict:
    values = {key: values[key] for key in FIELDS if key in values}
    values["name"] = (values.get("name") or "").strip()
    if not values["name"]:
        raise DocumentError(_("Indiquez le nom du document."))
    formats = [f for f in Format.values if f in (values.get("formats") or [])]
    if not formats:
        raise DocumentError(_("Choisissez au moins un format accepté."))
    values["formats"] = formats
    validity = values.get("validity", DocumentType.Validity.NONE)
    if validity == DocumentType.Validity.DURATION and not values.get("validity_months"):
        raise DocumentError(_("Indiquez la durée de validité en mois."))
    if validity == DocumentType.Validity.FIXED:
        month, day = values.get("validity_end_month"), values.get("validity_end_day")
        if not month or not day or not 1 <= month <= 12 or not 1 <= day <= 31:
            raise DocumentError(_("Indiquez le jour et le mois de fin de validité (31 et 8)."))
    if values.get("holder") != DocumentType.Holder.FAMILY and values.get("fiscal_proof"):
        raise DocumentError(
            _("Le justificatif des données fiscales est demandé à la famille, pas à un enfant.")
        )
    return values


def document_type_create(*, collectivity, by, activities=(), **values) -> DocumentType:
    with transaction.atomic():
        document_type = DocumentType.objects.create(collectivity=collectivity, **_clean(values))
        _activities_set(document_type, activities)
    return document_type


def document_type_update(*, document_type, by, activities=(), **values) -> DocumentType:
    with transaction.atomic():
        for key, value in _clean(values).items():
            setattr(document_type, key, value)
        document_type.save()
        _activities_set(document_type, activities)
    return document_type


def _activities_set(document_type: DocumentType, activities) -> None:
    foreign = [a for a in activities if a.collectivity_id != document_type.collectivity_id]
    if foreign:
        raise DocumentError(_("Cette activité n’appartient pas à votre collectivité."))
    if document_type.holder != DocumentType.Holder.CHILD and activities:
        raise DocumentError(_("Les activités ne concernent que les documents demandés par enfant."))
    document_type.activities.set(activities)
