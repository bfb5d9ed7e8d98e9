"""Reads of the dossier: the fields each change request may edit, the current values of a
target and the values still waiting for an agent (what the dossier pages show in yellow).
Services read through them too."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..display import iban_masked
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
    QuotientPeriod,
)

Target = ChangeRequest.Target
Action = ChangeRequest.Action
Status = ChangeRequest.Status

GUARDIAN_BASIC_FIELDS = [
    "civility",
    "last_name",
    "first_name",
    "birth_date",
    "email",
    "phone_mobile",
    "phone_home",
    "phone_work",
    "occupation",
    "employer",
]
GUARDIAN_ADDRESS_FIELDS = ["address", "address_complement", "postal_code", "city"]
# Target -> (model, editable fields). Authorizations use "auth_<type id>" keys; photos a file.
TARGET_FIELDS = {
    Target.GUARDIAN: (Guardian, GUARDIAN_BASIC_FIELDS + GUARDIAN_ADDRESS_FIELDS),
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


def form_initial(*, family, target, object_id=None, child=None, fields=None) -> dict:
    """The values a dossier form starts from: the dossier's, overlaid with pending ones."""
    values = current_values(family=family, target=target, object_id=object_id, child=child)
    pending = pending_changes(family).get(
        (target, object_id, child.pk if child is not None else None), {}
    )
    values.update({field: change["new"] for field, change in pending.items()})
    values = {k: v for k, v in values.items() if v is not None}
    if fields is not None:
        values = {k: v for k, v in values.items() if k in fields}
    return values


def dossier_url(family: Family, anchor: str = "") -> str:
    """The path of the family's dossier page (at ``anchor``)."""
    url = reverse("family:dossier") + "?" + urlencode({"famille": family.pk})
    return f"{url}#{anchor}" if anchor else url


# --- the parents' dossier page

REFUSED_SHOWN_DAYS = 30
# A guardian's two sections: (anchor key, title, fields, edit URL name, edit link label).
GUARDIAN_SECTIONS = [
    (
        "informations",
        gettext_lazy("Informations de base"),
        GUARDIAN_BASIC_FIELDS,
        "dossier_guardian_basic",
        gettext_lazy("Modifier les informations de base de %(name)s"),
    ),
    (
        "adresse",
        gettext_lazy("Adresse"),
        GUARDIAN_ADDRESS_FIELDS,
        "dossier_guardian_address",
        gettext_lazy("Modifier l’adresse de %(name)s"),
    ),
]


def fiscal_read_only_message() -> str:
    return _(
        "Les données fiscales sont gérées par votre collectivité : pour les modifier, "
        "adressez-vous à elle avec vos pièces justificatives."
    )


def related(instance, name):
    """A one-to-one relation, or None when the row does not exist."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def _label(model, name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


def _shown(name: str, value):
    """What parents may read of a value: their IBAN masked."""
    return iban_masked(str(value)) if name == "iban" and value else value


def _rows(model, fields, instance, pending: dict) -> list[dict]:
    """Label, value and pending value of each field; templates show them with
    ``|dossier_value:row.field``."""
    rows = []
    for name in fields:
        row = {
            "label": _label(model, name),
            "field": model._meta.get_field(name),
            "value": _shown(name, getattr(instance, name) if instance else None),
        }
        if name in pending:
            row["pending"] = _shown(name, pending[name]["new"])
            row["has_pending"] = True
        rows.append(row)
    return rows


def _section(key, title, rows, edit_url=None, edit_label="", **extra) -> dict:
    return {
        "key": key,
        "title": title,
        "rows": rows,
        "edit_url": edit_url,
        "edit_label": edit_label,
        **extra,
    }


def _request_subject(request: ChangeRequest, *, guardians, children, adults) -> str:
    target = request.target
    subject = ""
    if target == Target.GUARDIAN and request.object_id in guardians:
        subject = str(guardians[request.object_id])
    elif request.child_id in children:
        subject = children[request.child_id].first_name
    elif target == Target.CHILD and request.object_id in children:
        subject = children[request.object_id].first_name
    if target == Target.AUTHORIZED_ADULT:
        adult = adults.get(request.object_id)
        name = (
            str(adult)
            if adult
            else " ".join(
                str(request.changes.get(key, {}).get("new") or "")
                for key in ("first_name", "last_name")
            ).strip()
        )
        if name:
            subject = f"{subject} — {name}" if subject else name
    return subject


def _request_summary(request: ChangeRequest, *, guardians, children, adults, types) -> dict:
    """One line of « Mes demandes de modification »: what, whose, which fields."""
    target = request.target
    if target == Target.PHOTO:
        fields = [_("Nouvelle photo")]
    elif target == Target.AUTHORIZATIONS:
        fields = [
            str(types[int(key.removeprefix("auth_"))])
            for key in request.changes
            if int(key.removeprefix("auth_")) in types
        ]
    elif request.action == Action.DELETE:
        fields = []
    else:
        model = TARGET_FIELDS[target][0]
        fields = [_label(model, name) for name in request.changes]
    return {
        "request": request,
        "what": request.get_target_display(),
        "subject": _request_subject(request, guardians=guardians, children=children, adults=adults),
        "fields": fields,
    }


class _Page:
    """What one dossier page reads, fetched once: the family's rows, pending values and the
    requests listed."""

    def __init__(self, *, family: Family, scope):
        self.family = family
        self.collectivity = scope.collectivity
        self.guardians = list(family.guardians.order_by("rank", "pk"))
        self.children = list(
            family.children.order_by("birth_date", "first_name", "pk")
            .select_related("health", "photo")
            .prefetch_related(
                "authorizations",
                Prefetch(
                    "authorized_adults", queryset=AuthorizedAdult.objects.order_by("last_name")
                ),
            )
        )
        self.types = list(active_authorization_types(scope))
        self.pending = pending_changes(family)
        cutoff = timezone.now() - timedelta(days=REFUSED_SHOWN_DAYS)
        self.listed = list(
            family.change_requests.filter(
                Q(status=Status.PENDING) | Q(status=Status.REFUSED, decided_at__gte=cutoff)
            ).order_by("-created_at", "-pk")
        )
        self.pending_requests = [r for r in self.listed if r.status == Status.PENDING]

    def edit(self, name, **kwargs) -> str:
        url = reverse(f"family:{name}", kwargs=kwargs)
        return url + "?" + urlencode({"famille": self.family.pk})

    def pending_of(self, target, object_id=None, child_id=None) -> dict:
        return self.pending.get((target, object_id, child_id), {})

    def guardian_blocks(self) -> list[dict]:
        return [
            {
                "guardian": guardian,
                "sections": [
                    _section(
                        f"responsable-{guardian.pk}-{key}",
                        title,
                        _rows(
                            Guardian,
                            fields,
                            guardian,
                            self.pending_of(Target.GUARDIAN, guardian.pk),
                        ),
                        self.edit(url_name, guardian_id=guardian.pk),
                        edit_label % {"name": str(guardian)},
                    )
                    for key, title, fields, url_name, edit_label in GUARDIAN_SECTIONS
                ],
            }
            for guardian in self.guardians
        ]

    def finance_sections(self) -> list[dict]:
        bank = BankDetails.objects.filter(family=self.family).first()
        fiscal = FiscalData.objects.filter(family=self.family).first()
        editable = self.collectivity.parents_may_edit_fiscal_data
        return [
            _section(
                "coordonnees-bancaires",
                _("Coordonnées bancaires"),
                _rows(
                    BankDetails, TARGET_FIELDS[Target.BANK][1], bank, self.pending_of(Target.BANK)
                ),
                self.edit("dossier_bank"),
                _("Modifier les coordonnées bancaires"),
                empty=bank is None and (Target.BANK, None, None) not in self.pending,
            ),
            _section(
                "donnees-fiscales",
                _("Données fiscales"),
                self.fiscal_rows(fiscal),
                self.edit("dossier_fiscal") if editable else None,
                _("Modifier les données fiscales"),
                read_only_message=None if editable else fiscal_read_only_message(),
            ),
        ]

    def fiscal_rows(self, fiscal) -> list[dict]:
        """The fiscal data, the current QF with « depuis le … » (its period's start)."""
        rows = _rows(
            FiscalData, TARGET_FIELDS[Target.FISCAL][1], fiscal, self.pending_of(Target.FISCAL)
        )
        period = (
            QuotientPeriod.objects.filter(family=self.family, valid_to__isnull=True)
            .order_by("-valid_from")
            .first()
        )
        if fiscal is not None and period is not None and period.value == fiscal.family_quotient:
            for row in rows:
                if row["field"].name == "family_quotient":
                    row["since"] = period.valid_from
        return rows

    def authorization_rows(self, child) -> list[dict]:
        granted = {a.authorization_type_id: a.granted for a in child.authorizations.all()}
        pending = self.pending_of(Target.AUTHORIZATIONS, None, child.pk)
        rows = []
        for authorization_type in self.types:
            key = f"auth_{authorization_type.pk}"
            row = {
                "label": authorization_type.label,
                "field": None,
                "value": bool(granted.get(authorization_type.pk)),
            }
            if key in pending:
                row["pending"] = bool(pending[key]["new"])
                row["has_pending"] = True
            rows.append(row)
        return rows

    def _pending_request(self, target, **matches):
        return next(
            (
                r
                for r in self.pending_requests
                if r.target == target and all(getattr(r, k) == v for k, v in matches.items())
            ),
            None,
        )

    def adults(self, child) -> list[dict]:
        fields = TARGET_FIELDS[Target.AUTHORIZED_ADULT][1]
        return [
            {
                "adult": adult,
                "rows": _rows(
                    AuthorizedAdult,
                    fields,
                    adult,
                    self.pending_of(Target.AUTHORIZED_ADULT, adult.pk, child.pk),
                ),
                "removal": self._pending_request(
                    Target.AUTHORIZED_ADULT, action=Action.DELETE, object_id=adult.pk
                ),
                "edit_url": self.edit("dossier_adult_edit", child_id=child.pk, adult_id=adult.pk),
                "remove_url": self.edit(
                    "dossier_adult_remove", child_id=child.pk, adult_id=adult.pk
                ),
            }
            for adult in child.authorized_adults.all()
        ]

    def added_adults(self, child) -> list[dict]:
        return [
            {
                "request": r,
                "rows": [
                    {
                        "label": _label(AuthorizedAdult, name),
                        "field": AuthorizedAdult._meta.get_field(name),
                        "value": "",
                        "pending": change["new"],
                        "has_pending": True,
                    }
                    for name, change in r.changes.items()
                ],
            }
            for r in self.pending_requests
            if r.target == Target.AUTHORIZED_ADULT
            and r.action == Action.CREATE
            and r.child_id == child.pk
        ]

    def child_sections(self, child) -> list[dict]:
        name = child.first_name
        return [
            _section(
                f"enfant-{child.pk}-informations",
                _("Informations générales"),
                _rows(
                    Child,
                    TARGET_FIELDS[Target.CHILD][1],
                    child,
                    self.pending_of(Target.CHILD, child.pk, child.pk),
                ),
                self.edit("dossier_child_general", child_id=child.pk),
                _("Modifier les informations générales de %(name)s") % {"name": name},
            ),
            _section(
                f"enfant-{child.pk}-autorisations",
                _("Autorisations"),
                self.authorization_rows(child),
                self.edit("dossier_child_authorizations", child_id=child.pk)
                if self.types
                else None,
                _("Modifier les autorisations de %(name)s") % {"name": name},
            ),
            _section(
                f"enfant-{child.pk}-sante",
                _("Données sanitaires"),
                _rows(
                    HealthRecord,
                    TARGET_FIELDS[Target.HEALTH][1],
                    related(child, "health"),
                    self.pending_of(Target.HEALTH, None, child.pk),
                ),
                self.edit("dossier_child_health", child_id=child.pk),
                _("Modifier les données sanitaires de %(name)s") % {"name": name},
            ),
        ]

    def child_blocks(self) -> list[dict]:
        blocks = []
        for child in self.children:
            pending_photo = next(
                (
                    r
                    for r in self.pending_requests
                    if r.target == Target.PHOTO and r.child_id == child.pk and r.photo
                ),
                None,
            )
            blocks.append(
                {
                    "child": child,
                    "sections": self.child_sections(child),
                    "adults": self.adults(child),
                    "added_adults": self.added_adults(child),
                    "adult_add_url": self.edit("dossier_adult_add", child_id=child.pk),
                    "photo": related(child, "photo"),
                    "pending_photo": pending_photo,
                    "photo_url": self.edit("dossier_child_photo", child_id=child.pk),
                    "photo_edit_url": self.edit("dossier_child_photo_edit", child_id=child.pk),
                }
            )
        return blocks

    def summaries(self) -> list[dict]:
        lookups = {
            "guardians": {g.pk: g for g in self.guardians},
            "children": {c.pk: c for c in self.children},
            "adults": {a.pk: a for c in self.children for a in c.authorized_adults.all()},
            "types": {t.pk: t for t in self.types},
        }
        return [_request_summary(r, **lookups) for r in self.listed]


def active_authorization_types(scope):
    """The authorisation types parents answer here, in their order."""
    return scope.rows(AuthorizationType).filter(active=True).order_by("order", "pk")


def dossier_page(*, family: Family, scope) -> dict:
    """The read model of « Dossier famille »: guardians, financial data, children, each
    section's rows with pending values, and the requests listed (pending, refused lately)."""
    page = _Page(family=family, scope=scope)
    families = list(scope.families.order_by("name", "pk"))
    guardians = page.guardians
    summaries = page.summaries()
    return {
        "family": family,
        "families": families if len(families) > 1 else [],
        "guardian_blocks": page.guardian_blocks(),
        "payer": next((g for g in guardians if g.is_payer), guardians[0] if guardians else None),
        "finance_sections": page.finance_sections(),
        "child_blocks": page.child_blocks(),
        "pending_summaries": [s for s in summaries if s["request"].status == Status.PENDING],
        "refused_summaries": [s for s in summaries if s["request"].status == Status.REFUSED],
    }
