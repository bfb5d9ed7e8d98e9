"""Reads of the family-space creation form: an account's open or latest request, the age
rules of step 3's activities, and a request's values as parents and agents read them."""

from datetime import date

from ..display import dossier_value
from ..models import Child, FamilyCreationRequest, FiscalData, Guardian

Status = FamilyCreationRequest.Status
OPEN_STATUSES = (Status.DRAFT, Status.PENDING)


def age_on(birth_date: str, day: str) -> int | None:
    """Age in whole years on ``day`` (ISO strings, as the draft stores them)."""
    try:
        born, on = date.fromisoformat(birth_date), date.fromisoformat(day)
    except (TypeError, ValueError):
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def choice_fits(choice: dict, child: dict) -> bool:
    """Whether a child (draft row) is in the activity's age range at its start."""
    age = age_on(child.get("birth_date") or "", choice.get("start_date") or "")
    if age is None:
        return True
    low, high = choice.get("age_min"), choice.get("age_max")
    return (low is None or age >= low) and (high is None or age <= high)


def creation_open_request(*, user, collectivity) -> FamilyCreationRequest | None:
    """The account's draft or pending request in this collectivity, if any."""
    if not user.is_authenticated:
        return None
    return (
        FamilyCreationRequest.objects.filter(
            user=user, collectivity=collectivity, status__in=OPEN_STATUSES
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def creation_latest_request(*, user, collectivity) -> FamilyCreationRequest | None:
    """The account's most recent request here, whatever its status."""
    if not user.is_authenticated:
        return None
    return (
        FamilyCreationRequest.objects.filter(user=user, collectivity=collectivity)
        .order_by("-created_at", "-pk")
        .first()
    )


def payer_guardian(data: dict) -> dict:
    guardians = data.get("guardians") or []
    payer = data.get("payer") or 1
    if 1 <= payer <= len(guardians):
        return guardians[payer - 1]
    return guardians[0] if guardians else {}


def summary_context(creation_request: FamilyCreationRequest) -> dict:
    """Display values of a request (parent's step 3 and the agent's detail page)."""
    data = creation_request.data
    birth_date = Guardian._meta.get_field("birth_date")
    civilities = dict(Guardian._meta.get_field("civility").choices)
    sexes = dict(Child.Sex.choices)
    bodies = dict(FiscalData.AllowanceBody.choices)
    guardians = []
    payer = data.get("payer") or 1
    for rank, row in enumerate(data.get("guardians") or [], start=1):
        guardians.append(
            {
                **row,
                "rank": rank,
                "is_payer": rank == payer,
                "civility_display": civilities.get(row.get("civility"), ""),
                "birth_date_display": dossier_value(row.get("birth_date", ""), birth_date),
            }
        )
    children = [
        {
            **row,
            "sex_display": sexes.get(row.get("sex"), ""),
            "birth_date_display": dossier_value(row.get("birth_date", ""), birth_date),
        }
        for row in data.get("children") or []
    ]
    enrolments = {}
    for row in data.get("enrolments") or []:
        index = row.get("child_index")
        if isinstance(index, int) and 0 <= index < len(children):
            enrolments.setdefault(index, []).append(row.get("activity_name", ""))
    for index, child in enumerate(children):
        child["activities"] = enrolments.get(index, [])
    fiscal = dict(data.get("fiscal") or {})
    fiscal["allowance_body_display"] = bodies.get(fiscal.get("allowance_body") or "", "")
    return {
        "summary_guardians": guardians,
        "summary_children": children,
        "summary_enrolments": bool(enrolments),
        "summary_bank": data.get("bank") or {},
        "summary_fiscal": fiscal,
    }
