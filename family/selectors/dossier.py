"""Reads of the dossier: the fields each change request may edit, the current values of a
target and the values still waiting for an agent (what the dossier pages show in yellow).
Services read through them too."""

from datetime import date
from decimal import Decimal

from ..models import (
    AuthorizationType,
    AuthorizedAdult,
    BankDetails,
    ChangeRequest,
    Child,
    ChildAuthorization,
    ChildPhoto,
    Family,
    FiscalData,
    Guardian,
    HealthRecord,
)

Target = ChangeRequest.Target
Action = ChangeRequest.Action
Status = ChangeRequest.Status

# Target -> (model, editable fields). Authorizations use "auth_<type id>" keys; photos a file.
TARGET_FIELDS = {
    Target.GUARDIAN: (
        Guardian,
        [
            "civility",
            "last_name",
            "first_name",
            "birth_date",
            "email",
            "phone_mobile",
            "phone_home",
            "phone_work",
            "address",
            "address_complement",
            "postal_code",
            "city",
            "occupation",
            "employer",
        ],
    ),
    Target.BANK: (BankDetails, ["holder_name", "holder_address", "iban", "bic"]),
    Target.FISCAL: (
        FiscalData,
        [
            "reference_tax_income",
            "tax_shares",
            "allowance_body",
            "allowance_number",
            "family_quotient",
        ],
    ),
    Target.CHILD: (
        Child,
        ["last_name", "first_name", "birth_date", "sex", "school", "school_class"],
    ),
    Target.HEALTH: (
        HealthRecord,
        [
            "allergies",
            "diet",
            "meal_plan",
            "vaccinations",
            "doctor_name",
            "doctor_phone",
            "medical_notes",
            "has_pai",
            "pai_details",
        ],
    ),
    Target.AUTHORIZED_ADULT: (
        AuthorizedAdult,
        ["last_name", "first_name", "relation", "phone", "phone_alt", "may_pick_up"],
    ),
}


def serialize(value):
    """A JSON-friendly form of a field value (what ``changes`` stores)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def target_instance(*, family: Family, target: str, object_id=None, child=None):
    """The current row a request changes (None when it does not exist yet)."""
    if target == Target.GUARDIAN:
        return family.guardians.filter(pk=object_id).first()
    if target == Target.BANK:
        return BankDetails.objects.filter(family=family).first()
    if target == Target.FISCAL:
        return FiscalData.objects.filter(family=family).first()
    if target == Target.CHILD:
        return family.children.filter(pk=object_id).first()
    if target == Target.HEALTH:
        return HealthRecord.objects.filter(child=child).first()
    if target == Target.AUTHORIZED_ADULT:
        return AuthorizedAdult.objects.filter(child=child, pk=object_id).first()
    return None


def current_values(*, family: Family, target: str, object_id=None, child=None) -> dict:
    if target == Target.PHOTO:
        photo = ChildPhoto.objects.filter(child=child).first()
        return {"content_type": photo.content_type if photo else None}
    if target == Target.AUTHORIZATIONS:
        granted = dict(
            ChildAuthorization.objects.filter(child=child).values_list(
                "authorization_type_id", "granted"
            )
        )
        types = AuthorizationType.objects.filter(collectivity=family.collectivity, active=True)
        return {f"auth_{t.pk}": granted.get(t.pk, False) for t in types}
    instance = target_instance(family=family, target=target, object_id=object_id, child=child)
    _model, fields = TARGET_FIELDS[target]
    return {
        field: serialize(getattr(instance, field, None)) if instance else None for field in fields
    }


def pending_changes(family: Family) -> dict:
    """{(target, object_id, child_id): {field: {"old", "new", "request"}}} in one query."""
    result: dict = {}
    for request in ChangeRequest.objects.filter(family=family, status=Status.PENDING).order_by(
        "created_at", "pk"
    ):
        key = (request.target, request.object_id, request.child_id)
        for field, change in request.changes.items():
            result.setdefault(key, {})[field] = {**change, "request": request}
    return result
