"""The family-space creation form of a parent without a subscriber code (« Je n’ai pas de
code abonné »): a draft kept on the server step by step, sent as a pending request, then
accepted by an agent (the family, its code and the parent's subscription exist at once) or
refused with a reason the parent reads.

``FamilyCreationRequest.data`` holds JSON-friendly strings::

    {"guardians": [{...}, {...}], "children": [{...}], "payer": 1,
     "bank": {"holder_name", "holder_address", "iban", "bic"} or {}, "fiscal": {...},
     "enrolments": [{"child_index": 0, "activity_id": 3, "activity_name": "..."}]}

The wished activities become pending pre-enrolment requests when the request is accepted
(the ``family_created`` signal, answered by the planning app).
"""

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import email_queue
from portal.errors import refusal_reason

from ..models import (
    BankDetails,
    ChangeRequest,
    Child,
    Family,
    FamilyCreationRequest,
    FiscalData,
    Guardian,
)
from ..selectors.creation import (
    OPEN_STATUSES,
    choice_fits,
    creation_open_request,
)
from ..selectors.dossier import TARGET_FIELDS
from ..signals import family_created
from ..validators import normalize_iban, validate_bic, validate_iban
from .acknowledgements import creation_acknowledgement
from .changes import DossierError
from .events import creation_event, family_event
from .quotients import quotient_from_change
from .subscriptions import family_code_regenerate, subscription_create

Status = FamilyCreationRequest.Status
STEP_COUNT = 3

GUARDIAN_FIELDS = [
    "civility",
    "last_name",
    "first_name",
    "birth_date",
    "address",
    "address_complement",
    "postal_code",
    "city",
    "phone_mobile",
    "phone_home",
    "phone_work",
    "email",
    "occupation",
    "employer",
]
# The same fields as the dossier's own (a parent edits them there later).
CHILD_FIELDS = TARGET_FIELDS[ChangeRequest.Target.CHILD][1]
BANK_FIELDS = TARGET_FIELDS[ChangeRequest.Target.BANK][1]
FISCAL_FIELDS = TARGET_FIELDS[ChangeRequest.Target.FISCAL][1]


class CreationError(DossierError):
    """An illegal move on a creation request; ``.message`` is the French text."""


def _json(value):
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value if isinstance(value, (str, int, bool)) else str(value)


def _clean(row: dict, fields: list[str]) -> dict:
    return {name: _json(row.get(name)) for name in fields}


def _date(value: str):
    return date.fromisoformat(value) if value else None


def _decimal(value: str):
    if value in ("", None):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


_enrolment_choices_provider: Callable | None = None


def enrolment_choices_provider_register(provider: Callable | None) -> None:
    """``provider(collectivity)`` lists the activities step 3 offers; the planning app
    registers its own in ``AppConfig.ready()`` (family never imports planning). ``None``
    unregisters it."""
    global _enrolment_choices_provider
    _enrolment_choices_provider = provider


def enrolment_choices(collectivity) -> list[dict]:
    """Activities offered on step 3 (« inscriptions à des activités »), from the registered
    provider (the planning app): a list of ``{"id", "name", "place", "age_min", "age_max",
    "age_label", "start_date", "end_date", "period_label"}``. No provider registered, or the
    collectivity's module off: no choice."""
    if _enrolment_choices_provider is None:
        return []
    return list(_enrolment_choices_provider(collectivity))


def _clean_enrolments(rows, *, children: list[dict], choices: list[dict]) -> list[dict]:
    by_id = {choice["id"]: choice for choice in choices}
    cleaned, seen = [], set()
    for row in rows:
        try:
            index, activity_id = int(row["child_index"]), int(row["activity_id"])
        except (KeyError, TypeError, ValueError):
            raise CreationError(_("Choix d’activité invalide.")) from None
        choice = by_id.get(activity_id)
        if choice is None or not 0 <= index < len(children):
            raise CreationError(_("Cette activité n’est pas proposée : choisissez dans la liste."))
        child = children[index]
        if not choice_fits(choice, child):
            raise CreationError(
                _("%(child)s n’a pas l’âge requis pour l’activité « %(activity)s » (%(ages)s).")
                % {
                    "child": child.get("first_name", ""),
                    "activity": choice["name"],
                    "ages": choice.get("age_label", ""),
                }
            )
        if (index, activity_id) in seen:
            continue
        seen.add((index, activity_id))
        cleaned.append(
            {"child_index": index, "activity_id": activity_id, "activity_name": choice["name"]}
        )
    return cleaned


# --- writes


@transaction.atomic
def creation_draft_get(*, user, collectivity, data: dict | None = None) -> FamilyCreationRequest:
    """The account's open request here (draft or pending), or a new draft: one open request
    per account and collectivity. ``data`` pre-fills a new draft (starting again after a
    refusal)."""
    # Serialise concurrent calls of the same account (two tabs, a double click).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    existing = creation_open_request(user=user, collectivity=collectivity)
    if existing is not None:
        return existing
    request = FamilyCreationRequest.objects.create(
        collectivity=collectivity, user=user, data=dict(data or {}), step=1
    )
    creation_event(
        request,
        actor=user,
        verb="family_creation_started",
        message=_("Formulaire de création de l’espace famille commencé par %(email)s.")
        % {"email": user.email},
    )
    return request


def _locked(request: FamilyCreationRequest) -> FamilyCreationRequest:
    return FamilyCreationRequest.objects.select_for_update().get(pk=request.pk)


@transaction.atomic
def creation_step_save(
    *, request: FamilyCreationRequest, step: int, data: dict, advance: bool = True
):
    """Store the validated data of one step in the draft; with ``advance`` the draft may then
    go one step further. Step 1: {"guardians", "children"}; step 2: {"payer", "bank",
    "fiscal"}; step 3: {"enrolments": [{"child_index", "activity_id"}]} (activities wished,
    checked against ``enrolment_choices``)."""
    locked = _locked(request)
    if locked.status != Status.DRAFT:
        raise CreationError(
            _("Cette demande a déjà été envoyée : elle ne peut plus être modifiée.")
        )
    stored = dict(locked.data)
    if step == 1:
        guardians = [_clean(g, GUARDIAN_FIELDS) for g in data.get("guardians", [])][:2]
        if not guardians or not guardians[0]["last_name"] or not guardians[0]["first_name"]:
            raise CreationError(_("Indiquez au moins le responsable 1 (nom et prénom)."))
        stored["guardians"] = guardians
        children = [_clean(c, CHILD_FIELDS) for c in data.get("children", [])]
        if children != stored.get("children"):
            # Wished activities refer to children by position: chosen again on step 3.
            stored.pop("enrolments", None)
        stored["children"] = children
        if (stored.get("payer") or 1) > len(guardians):
            stored["payer"] = 1
    elif step == 3:
        stored["enrolments"] = _clean_enrolments(
            data.get("enrolments") or [],
            children=stored.get("children") or [],
            choices=enrolment_choices(locked.collectivity),
        )
    elif step == 2:
        guardians = stored.get("guardians") or []
        payer = int(data.get("payer") or 0)
        if not 1 <= payer <= len(guardians):
            raise CreationError(_("Choisissez le responsable payeur."))
        bank = _clean(data.get("bank") or {}, BANK_FIELDS)
        if bank["iban"]:
            try:
                validate_iban(bank["iban"])
                validate_bic(bank["bic"])
            except ValidationError as error:
                raise CreationError(error.messages[0]) from error
            bank["iban"] = normalize_iban(bank["iban"])
            bank["bic"] = "".join(bank["bic"].split()).upper()
        else:
            bank = {}
        stored.update(
            payer=payer, bank=bank, fiscal=_clean(data.get("fiscal") or {}, FISCAL_FIELDS)
        )
    else:
        raise CreationError(_("Étape inconnue."))
    locked.data = stored
    if advance:
        locked.step = max(locked.step, step + 1)
    locked.save(update_fields=["data", "step", "updated_at"])
    request.data, request.step = locked.data, locked.step
    return locked


def _check_complete(data: dict) -> None:
    guardians = data.get("guardians") or []
    if not guardians or not guardians[0].get("last_name") or not guardians[0].get("first_name"):
        raise CreationError(_("Indiquez au moins le responsable 1 (nom et prénom)."))
    payer = data.get("payer")
    if not payer or not 1 <= int(payer) <= len(guardians):
        raise CreationError(_("Choisissez le responsable payeur (étape 2)."))
    iban = (data.get("bank") or {}).get("iban")
    if iban:
        try:
            validate_iban(iban)
        except ValidationError as error:
            raise CreationError(error.messages[0]) from error


@transaction.atomic
def creation_submit(*, request: FamilyCreationRequest, by) -> FamilyCreationRequest:
    """Draft → pending: the collectivity will study it. Acknowledgement e-mail."""
    locked = _locked(request)
    if locked.status != Status.DRAFT:
        raise CreationError(_("Cette demande a déjà été envoyée."))
    _check_complete(locked.data)
    locked.status, locked.submitted_at = Status.PENDING, timezone.now()
    locked.save(update_fields=["status", "submitted_at", "updated_at"])
    creation_event(
        locked,
        actor=by,
        verb="family_creation_submitted",
        message=_("Demande de création de l’espace famille envoyée par %(email)s.")
        % {"email": locked.user.email},
    )
    email_queue(
        template="family/creation_received",
        context={
            **creation_acknowledgement(locked),
            "recipient_name": locked.user.get_full_name(),
        },
        collectivity=locked.collectivity,
        to=[locked.user.email],
        link=reverse("family:creation"),
    )
    request.status, request.submitted_at = locked.status, locked.submitted_at
    return locked


def _locked_pending(request: FamilyCreationRequest) -> FamilyCreationRequest:
    locked = _locked(request)
    if locked.status != Status.PENDING:
        raise CreationError(
            _("Cette demande a déjà été traitée (%(status)s).")
            % {"status": locked.get_status_display().lower()}
            if locked.status in (Status.ACCEPTED, Status.REFUSED, Status.CANCELLED)
            else _("Cette demande n’a pas encore été envoyée par la famille.")
        )
    return locked


@transaction.atomic
def creation_accept(*, request: FamilyCreationRequest, by) -> Family:
    """Create the family from the request, in one transaction: guardians, children, bank
    details, fiscal data, a subscriber code and the parent's subscription."""
    locked = _locked_pending(request)
    data = locked.data
    _check_complete(data)
    guardians = data["guardians"]
    payer = int(data.get("payer") or 1)
    family = Family.objects.create(
        collectivity=locked.collectivity, name=guardians[0]["last_name"].strip()
    )
    for rank, row in enumerate(guardians, start=1):
        values = {name: row.get(name, "") for name in GUARDIAN_FIELDS}
        values["birth_date"] = _date(values["birth_date"])
        Guardian.objects.create(family=family, rank=rank, is_payer=rank == payer, **values)
    children = []
    for row in data.get("children") or []:
        values = {name: row.get(name, "") for name in CHILD_FIELDS}
        values["birth_date"] = _date(values["birth_date"])
        children.append(Child.objects.create(family=family, **values))
    bank = data.get("bank") or {}
    if bank.get("iban"):
        BankDetails.objects.create(
            family=family,
            holder_name=bank.get("holder_name", ""),
            holder_address=bank.get("holder_address", ""),
            iban=normalize_iban(bank["iban"]),
            bic=bank.get("bic", ""),
        )
    fiscal = data.get("fiscal") or {}
    FiscalData.objects.create(
        family=family,
        reference_tax_income=_decimal(fiscal.get("reference_tax_income")),
        tax_shares=_decimal(fiscal.get("tax_shares")),
        allowance_body=fiscal.get("allowance_body", ""),
        allowance_number=fiscal.get("allowance_number", ""),
        family_quotient=_decimal(fiscal.get("family_quotient")),
    )
    if _decimal(fiscal.get("family_quotient")) is not None:
        quotient_from_change(family=family, value=fiscal["family_quotient"], by=by)
    family_code_regenerate(family=family, by=by)
    subscription_create(user=locked.user, family=family, by=by)
    locked.family = family
    locked.status, locked.decided_by, locked.decided_at = Status.ACCEPTED, by, timezone.now()
    locked.save(update_fields=["family", "status", "decided_by", "decided_at", "updated_at"])
    family_event(
        family,
        actor=by,
        verb="family_created",
        message=_("Espace famille créé à la demande de %(email)s.") % {"email": locked.user.email},
    )
    # The decision, on the request's own history and in the new family's digest.
    family_event(
        family,
        subject=locked,
        actor=by,
        verb="family_creation_accepted",
        message=_(
            "Votre demande de création de l’espace famille est acceptée : votre espace famille "
            "est ouvert et votre compte y est abonné."
        ),
        digest=True,
    )
    # Same transaction: what other apps create for the new family (e.g. the pre-enrolments
    # chosen on step 3) stands or falls with it.
    family_created.send(
        sender=FamilyCreationRequest, request=locked, family=family, children=children
    )
    request.status, request.family = locked.status, family
    return family


@transaction.atomic
def creation_refuse(*, request: FamilyCreationRequest, by, reason: str) -> FamilyCreationRequest:
    reason = refusal_reason(
        reason, error=CreationError, message=_("Indiquez le motif du refus : la famille le lira.")
    )
    locked = _locked_pending(request)
    locked.status, locked.decided_by, locked.decided_at = Status.REFUSED, by, timezone.now()
    locked.refusal_reason = reason
    locked.save(
        update_fields=["status", "decided_by", "decided_at", "refusal_reason", "updated_at"]
    )
    creation_event(
        locked,
        actor=by,
        verb="family_creation_refused",
        message=_("Demande de création de l’espace famille refusée. Motif : %(reason)s")
        % {"reason": reason},
        digest=True,
    )
    request.status, request.refusal_reason = locked.status, reason
    return locked


@transaction.atomic
def creation_cancel(*, request: FamilyCreationRequest, by) -> FamilyCreationRequest:
    """The parent gives up, while the request is a draft or pending."""
    locked = _locked(request)
    if locked.status not in OPEN_STATUSES:
        raise CreationError(_("Cette demande a déjà été traitée : elle ne peut plus être annulée."))
    locked.status = Status.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    creation_event(
        locked,
        actor=by,
        verb="family_creation_cancelled",
        message=_("Demande de création de l’espace famille annulée."),
    )
    request.status = locked.status
    return locked
