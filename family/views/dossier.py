"""« Dossier famille » (parent side): the whole dossier with pending values in yellow, one
edit form per section, and the child's photo served privately.

Every object is reached through the request's families (``request.scope``) and then the
family's own relations; every edit becomes a change request (``family.changes``).
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..decorators import family_required
from ..forms.dossier import (
    PENDING_HELP,
    AuthorizationsForm,
    AuthorizedAdultForm,
    BankDetailsForm,
    ChildGeneralForm,
    FiscalDataForm,
    GuardianAddressForm,
    GuardianBasicForm,
    HealthForm,
    PhotoForm,
)
from ..models import (
    AuthorizationType,
    AuthorizedAdult,
    BankDetails,
    ChangeRequest,
    Child,
    FiscalData,
    Guardian,
    HealthRecord,
)
from ..selectors.dossier import TARGET_FIELDS, current_values, pending_changes
from ..services.changes import DossierError, change_request_cancel, change_request_submit

Target = ChangeRequest.Target
Action = ChangeRequest.Action
Status = ChangeRequest.Status

REFUSED_SHOWN_DAYS = 30
GUARDIAN_BASIC_FIELDS = GuardianBasicForm._meta.fields
GUARDIAN_ADDRESS_FIELDS = GuardianAddressForm._meta.fields


def _success_message() -> str:
    return _(
        "Votre demande de modification a été envoyée à la collectivité : elle sera visible "
        "après validation."
    )


def _fiscal_read_only_message() -> str:
    return _(
        "Les données fiscales sont gérées par votre collectivité : pour les modifier, "
        "adressez-vous à elle avec vos pièces justificatives."
    )


# --- scoping


def _family(request):
    """The family whose dossier is shown: ``?famille=<id>`` among this account's families
    here, or the first of them."""
    families = request.scope.families.select_related("collectivity").order_by("name", "pk")
    chosen = request.POST.get("famille") or request.GET.get("famille")
    if chosen:
        if not str(chosen).isdigit():
            raise Http404
        return get_object_or_404(families, pk=chosen)
    family = families.first()
    if family is None:
        raise Http404
    return family


def _child(request, child_id):
    family = _family(request)
    child = get_object_or_404(family.children.select_related("family"), pk=child_id)
    return family, child


def _guardian(request, guardian_id):
    family = _family(request)
    return family, get_object_or_404(family.guardians.all(), pk=guardian_id)


def _dossier_url(family, anchor: str = "") -> str:
    url = reverse("family:dossier") + "?" + urlencode({"famille": family.pk})
    return f"{url}#{anchor}" if anchor else url


def _with_family(url: str, family) -> str:
    return url + "?" + urlencode({"famille": family.pk})


# --- display


def _related(instance, name):
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def _display(model, name: str, value) -> str:
    """A value as the parent reads it (French formats, choice labels, Oui/Non)."""
    field = model._meta.get_field(name)
    if value is None or value == "":
        return ""
    if not isinstance(value, bool | Decimal) and not hasattr(value, "year"):
        try:
            value = field.to_python(value)
        except Exception:  # noqa: BLE001 -- a value stored as typed: show it as is
            return str(value)
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if hasattr(value, "year"):
        return formats.date_format(value, "d/m/Y")
    if isinstance(value, Decimal):
        return formats.number_format(value, decimal_pos=2)
    if name == "iban":
        return _mask_iban(str(value))
    return str(value)


def _mask_iban(iban: str) -> str:
    iban = iban.replace(" ", "")
    if len(iban) <= 8:
        return iban
    return f"{iban[:4]} •••• {iban[-4:]}"


def _label(model, name: str) -> str:
    label = str(model._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _rows(model, fields, instance, pending: dict) -> list[dict]:
    rows = []
    for name in fields:
        row = {
            "label": _label(model, name),
            "value": _display(model, name, getattr(instance, name) if instance else None),
        }
        if name in pending:
            row["pending"] = _display(model, name, pending[name]["new"])
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


def _request_summary(request: ChangeRequest, *, guardians, children, adults, types) -> dict:
    """One line of « Mes demandes de modification »: what, whose, which fields."""
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
        "subject": subject,
        "fields": fields,
    }


# --- the dossier


@family_required
@require_GET
def dossier(request):
    """« Dossier famille »: guardians, financial data, children; pending values in yellow."""
    family = _family(request)
    collectivity = request.collectivity
    families = list(request.scope.families.order_by("name", "pk"))
    guardians = list(family.guardians.order_by("rank", "pk"))
    bank = BankDetails.objects.filter(family=family).first()
    fiscal = FiscalData.objects.filter(family=family).first()
    children = list(
        family.children.order_by("birth_date", "first_name", "pk")
        .select_related("health", "photo")
        .prefetch_related(
            "authorizations",
            Prefetch("authorized_adults", queryset=AuthorizedAdult.objects.order_by("last_name")),
        )
    )
    types = list(
        AuthorizationType.objects.filter(collectivity=collectivity, active=True).order_by(
            "order", "pk"
        )
    )
    pending = pending_changes(family)
    cutoff = timezone.now() - timedelta(days=REFUSED_SHOWN_DAYS)
    listed = list(
        ChangeRequest.objects.filter(family=family)
        .filter(Q(status=Status.PENDING) | Q(status=Status.REFUSED, decided_at__gte=cutoff))
        .order_by("-created_at", "-pk")
    )

    def edit(name, **kwargs):
        return _with_family(reverse(f"family:{name}", kwargs=kwargs), family)

    guardian_blocks = []
    for guardian in guardians:
        guardian_pending = pending.get((Target.GUARDIAN, guardian.pk, None), {})
        name = str(guardian)
        guardian_blocks.append(
            {
                "guardian": guardian,
                "sections": [
                    _section(
                        f"responsable-{guardian.pk}-informations",
                        _("Informations de base"),
                        _rows(Guardian, GUARDIAN_BASIC_FIELDS, guardian, guardian_pending),
                        edit("dossier_guardian_basic", guardian_id=guardian.pk),
                        _("Modifier les informations de base de %(name)s") % {"name": name},
                    ),
                    _section(
                        f"responsable-{guardian.pk}-adresse",
                        _("Adresse"),
                        _rows(Guardian, GUARDIAN_ADDRESS_FIELDS, guardian, guardian_pending),
                        edit("dossier_guardian_address", guardian_id=guardian.pk),
                        _("Modifier l’adresse de %(name)s") % {"name": name},
                    ),
                ],
            }
        )
    payer = next((g for g in guardians if g.is_payer), guardians[0] if guardians else None)
    fiscal_editable = collectivity.parents_may_edit_fiscal_data
    finance_sections = [
        _section(
            "coordonnees-bancaires",
            _("Coordonnées bancaires"),
            _rows(
                BankDetails,
                TARGET_FIELDS[Target.BANK][1],
                bank,
                pending.get((Target.BANK, None, None), {}),
            ),
            edit("dossier_bank"),
            _("Modifier les coordonnées bancaires"),
            empty=bank is None and (Target.BANK, None, None) not in pending,
        ),
        _section(
            "donnees-fiscales",
            _("Données fiscales"),
            _rows(
                FiscalData,
                TARGET_FIELDS[Target.FISCAL][1],
                fiscal,
                pending.get((Target.FISCAL, None, None), {}),
            ),
            edit("dossier_fiscal") if fiscal_editable else None,
            _("Modifier les données fiscales"),
            read_only_message=None if fiscal_editable else _fiscal_read_only_message(),
        ),
    ]

    pending_requests = [r for r in listed if r.status == Status.PENDING]
    child_blocks = []
    for child in children:
        name = child.first_name
        granted = {a.authorization_type_id: a.granted for a in child.authorizations.all()}
        auth_pending = pending.get((Target.AUTHORIZATIONS, None, child.pk), {})
        auth_rows = []
        for authorization_type in types:
            key = f"auth_{authorization_type.pk}"
            row = {
                "label": authorization_type.label,
                "value": _("Oui") if granted.get(authorization_type.pk) else _("Non"),
            }
            if key in auth_pending:
                row["pending"] = _("Oui") if auth_pending[key]["new"] else _("Non")
                row["has_pending"] = True
            auth_rows.append(row)
        adults = []
        for adult in child.authorized_adults.all():
            adult_pending = pending.get((Target.AUTHORIZED_ADULT, adult.pk, child.pk), {})
            adults.append(
                {
                    "adult": adult,
                    "rows": _rows(
                        AuthorizedAdult,
                        TARGET_FIELDS[Target.AUTHORIZED_ADULT][1],
                        adult,
                        adult_pending,
                    ),
                    "removal": next(
                        (
                            r
                            for r in pending_requests
                            if r.target == Target.AUTHORIZED_ADULT
                            and r.action == Action.DELETE
                            and r.object_id == adult.pk
                        ),
                        None,
                    ),
                    "edit_url": edit("dossier_adult_edit", child_id=child.pk, adult_id=adult.pk),
                    "remove_url": edit(
                        "dossier_adult_remove", child_id=child.pk, adult_id=adult.pk
                    ),
                }
            )
        added_adults = [
            {
                "request": r,
                "rows": [
                    {
                        "label": _label(AuthorizedAdult, field),
                        "value": "",
                        "pending": _display(AuthorizedAdult, field, change["new"]),
                        "has_pending": True,
                    }
                    for field, change in r.changes.items()
                ],
            }
            for r in pending_requests
            if r.target == Target.AUTHORIZED_ADULT
            and r.action == Action.CREATE
            and r.child_id == child.pk
        ]
        photo = _related(child, "photo")
        pending_photo = next(
            (
                r
                for r in pending_requests
                if r.target == Target.PHOTO and r.child_id == child.pk and r.photo
            ),
            None,
        )
        child_blocks.append(
            {
                "child": child,
                "sections": [
                    _section(
                        f"enfant-{child.pk}-informations",
                        _("Informations générales"),
                        _rows(
                            Child,
                            TARGET_FIELDS[Target.CHILD][1],
                            child,
                            pending.get((Target.CHILD, child.pk, child.pk), {}),
                        ),
                        edit("dossier_child_general", child_id=child.pk),
                        _("Modifier les informations générales de %(name)s") % {"name": name},
                    ),
                    _section(
                        f"enfant-{child.pk}-autorisations",
                        _("Autorisations"),
                        auth_rows,
                        edit("dossier_child_authorizations", child_id=child.pk) if types else None,
                        _("Modifier les autorisations de %(name)s") % {"name": name},
                    ),
                    _section(
                        f"enfant-{child.pk}-sante",
                        _("Données sanitaires"),
                        _rows(
                            HealthRecord,
                            TARGET_FIELDS[Target.HEALTH][1],
                            _related(child, "health"),
                            pending.get((Target.HEALTH, None, child.pk), {}),
                        ),
                        edit("dossier_child_health", child_id=child.pk),
                        _("Modifier les données sanitaires de %(name)s") % {"name": name},
                    ),
                ],
                "adults": adults,
                "added_adults": added_adults,
                "adult_add_url": edit("dossier_adult_add", child_id=child.pk),
                "photo": photo,
                "pending_photo": pending_photo,
                "photo_url": edit("dossier_child_photo", child_id=child.pk),
                "photo_edit_url": edit("dossier_child_photo_edit", child_id=child.pk),
            }
        )

    lookups = {
        "guardians": {g.pk: g for g in guardians},
        "children": {c.pk: c for c in children},
        "adults": {a.pk: a for c in children for a in c.authorized_adults.all()},
        "types": {t.pk: t for t in types},
    }
    summaries = [_request_summary(r, **lookups) for r in listed]
    return render(
        request,
        "family/dossier/dossier.html",
        {
            "family": family,
            "families": families if len(families) > 1 else [],
            "guardian_blocks": guardian_blocks,
            "payer": payer,
            "finance_sections": finance_sections,
            "child_blocks": child_blocks,
            "pending_summaries": [s for s in summaries if s["request"].status == Status.PENDING],
            "refused_summaries": [s for s in summaries if s["request"].status == Status.REFUSED],
        },
    )


# --- edit forms


def _initial(*, family, target, object_id=None, child=None, fields=None) -> dict:
    """The values a form starts from: the dossier's, overlaid with pending ones."""
    values = current_values(family=family, target=target, object_id=object_id, child=child)
    pending = pending_changes(family).get(
        (target, object_id, child.pk if child is not None else None), {}
    )
    values.update({field: change["new"] for field, change in pending.items()})
    values = {k: v for k, v in values.items() if v is not None}
    if fields is not None:
        values = {k: v for k, v in values.items() if k in fields}
    return values


def _edit(
    request,
    *,
    family,
    form_class,
    target,
    title,
    anchor,
    initial,
    object_id=None,
    child=None,
    action=Action.UPDATE,
    subject="",
    form_kwargs=None,
    values=None,
    extra=None,
):
    form_kwargs = form_kwargs or {}
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            try:
                change_request_submit(
                    family=family,
                    target=target,
                    new_values=values(form) if values else dict(form.cleaned_data),
                    by=request.user,
                    action=action,
                    object_id=object_id,
                    child=child,
                )
            except DossierError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _success_message())
                return redirect(_dossier_url(family, anchor))
    else:
        form = form_class(initial=initial, **form_kwargs)
    return render(
        request,
        "family/dossier/form.html",
        {
            "family": family,
            "form": form,
            "title": title,
            "subject": subject,
            "pending_help": PENDING_HELP if action == Action.UPDATE else "",
            "back_url": _dossier_url(family, anchor),
            **(extra or {}),
        },
    )


@family_required
@require_http_methods(["GET", "POST"])
def guardian_basic(request, guardian_id):
    family, guardian = _guardian(request, guardian_id)
    return _edit(
        request,
        family=family,
        form_class=GuardianBasicForm,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        title=_("Informations de base"),
        subject=str(guardian),
        anchor=f"responsable-{guardian.pk}-informations",
        initial=_initial(
            family=family,
            target=Target.GUARDIAN,
            object_id=guardian.pk,
            fields=GUARDIAN_BASIC_FIELDS,
        ),
    )


@family_required
@require_http_methods(["GET", "POST"])
def guardian_address(request, guardian_id):
    family, guardian = _guardian(request, guardian_id)
    return _edit(
        request,
        family=family,
        form_class=GuardianAddressForm,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        title=_("Adresse"),
        subject=str(guardian),
        anchor=f"responsable-{guardian.pk}-adresse",
        initial=_initial(
            family=family,
            target=Target.GUARDIAN,
            object_id=guardian.pk,
            fields=GUARDIAN_ADDRESS_FIELDS,
        ),
    )


@family_required
@require_http_methods(["GET", "POST"])
def bank_details(request):
    family = _family(request)
    initial = _initial(family=family, target=Target.BANK)
    if not initial:
        # No bank details yet: the holder is the paying guardian.
        payer = family.guardians.order_by("-is_payer", "rank", "pk").first()
        if payer is not None:
            address = " ".join(
                part
                for part in (payer.address, payer.address_complement, payer.postal_code, payer.city)
                if part
            )
            initial = {"holder_name": str(payer), "holder_address": address}
    return _edit(
        request,
        family=family,
        form_class=BankDetailsForm,
        target=Target.BANK,
        title=_("Coordonnées bancaires"),
        anchor="coordonnees-bancaires",
        initial=initial,
    )


@family_required
@require_http_methods(["GET", "POST"])
def fiscal_data(request):
    family = _family(request)
    if not request.collectivity.parents_may_edit_fiscal_data:
        if request.method == "POST":
            messages.error(request, _fiscal_read_only_message())
            return redirect(_dossier_url(family, "donnees-fiscales"))
        return render(
            request,
            "family/dossier/read_only.html",
            {
                "family": family,
                "title": _("Données fiscales"),
                "message": _fiscal_read_only_message(),
                "back_url": _dossier_url(family, "donnees-fiscales"),
            },
        )
    return _edit(
        request,
        family=family,
        form_class=FiscalDataForm,
        target=Target.FISCAL,
        title=_("Données fiscales"),
        anchor="donnees-fiscales",
        initial=_initial(family=family, target=Target.FISCAL),
    )


@family_required
@require_http_methods(["GET", "POST"])
def child_general(request, child_id):
    family, child = _child(request, child_id)
    return _edit(
        request,
        family=family,
        form_class=ChildGeneralForm,
        target=Target.CHILD,
        object_id=child.pk,
        child=child,
        title=_("Informations générales"),
        subject=child.first_name,
        anchor=f"enfant-{child.pk}-informations",
        initial=_initial(family=family, target=Target.CHILD, object_id=child.pk, child=child),
    )


@family_required
@require_http_methods(["GET", "POST"])
def child_authorizations(request, child_id):
    family, child = _child(request, child_id)
    types = list(
        AuthorizationType.objects.filter(collectivity=request.collectivity, active=True).order_by(
            "order", "pk"
        )
    )
    if not types:
        raise Http404
    return _edit(
        request,
        family=family,
        form_class=AuthorizationsForm,
        form_kwargs={"authorization_types": types},
        target=Target.AUTHORIZATIONS,
        child=child,
        title=_("Autorisations"),
        subject=child.first_name,
        anchor=f"enfant-{child.pk}-autorisations",
        initial=AuthorizationsForm.initial_from(
            _initial(family=family, target=Target.AUTHORIZATIONS, child=child)
        ),
        values=lambda form: form.values(),
    )


@family_required
@require_http_methods(["GET", "POST"])
def child_health(request, child_id):
    family, child = _child(request, child_id)
    return _edit(
        request,
        family=family,
        form_class=HealthForm,
        target=Target.HEALTH,
        child=child,
        title=_("Données sanitaires"),
        subject=child.first_name,
        anchor=f"enfant-{child.pk}-sante",
        initial=_initial(family=family, target=Target.HEALTH, child=child),
    )


@family_required
@require_http_methods(["GET", "POST"])
def adult_add(request, child_id):
    family, child = _child(request, child_id)
    return _edit(
        request,
        family=family,
        form_class=AuthorizedAdultForm,
        target=Target.AUTHORIZED_ADULT,
        action=Action.CREATE,
        child=child,
        title=_("Ajouter un adulte habilité"),
        subject=child.first_name,
        anchor=f"enfant-{child.pk}-adultes",
        initial={"may_pick_up": True},
    )


@family_required
@require_http_methods(["GET", "POST"])
def adult_edit(request, child_id, adult_id):
    family, child = _child(request, child_id)
    adult = get_object_or_404(child.authorized_adults.all(), pk=adult_id)
    return _edit(
        request,
        family=family,
        form_class=AuthorizedAdultForm,
        target=Target.AUTHORIZED_ADULT,
        object_id=adult.pk,
        child=child,
        title=_("Adulte habilité"),
        subject=f"{child.first_name} — {adult.first_name} {adult.last_name}",
        anchor=f"enfant-{child.pk}-adultes",
        initial=_initial(
            family=family, target=Target.AUTHORIZED_ADULT, object_id=adult.pk, child=child
        ),
    )


@family_required
@require_http_methods(["GET", "POST"])
def adult_remove(request, child_id, adult_id):
    """A plain confirmation page (no JavaScript dialog needed), then a removal request."""
    family, child = _child(request, child_id)
    adult = get_object_or_404(child.authorized_adults.all(), pk=adult_id)
    back_url = _dossier_url(family, f"enfant-{child.pk}-adultes")
    if request.method == "POST":
        try:
            change_request_submit(
                family=family,
                target=Target.AUTHORIZED_ADULT,
                action=Action.DELETE,
                object_id=adult.pk,
                child=child,
                new_values={},
                by=request.user,
            )
        except DossierError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _success_message())
        return redirect(back_url)
    return render(
        request,
        "family/dossier/adult_remove.html",
        {"family": family, "child": child, "adult": adult, "back_url": back_url},
    )


@family_required
@require_http_methods(["GET", "POST"])
def child_photo_edit(request, child_id):
    family, child = _child(request, child_id)
    back_url = _dossier_url(family, f"enfant-{child.pk}-photo")
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            change_request_submit(
                family=family,
                target=Target.PHOTO,
                child=child,
                new_values={"content_type": form.content_type},
                photo=form.cleaned_data["photo"],
                by=request.user,
            )
        except DossierError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _success_message())
            return redirect(back_url)
    return render(
        request,
        "family/dossier/form.html",
        {
            "family": family,
            "form": form,
            "title": _("Photo"),
            "subject": child.first_name,
            "multipart": True,
            "back_url": back_url,
        },
    )


@family_required
@require_GET
def child_photo(request, child_id):
    """The child's photo (or, with ``?en_attente=1``, the photo awaiting validation), read
    from private storage for this family only."""
    family, child = _child(request, child_id)
    if request.GET.get("en_attente"):
        pending = (
            family.change_requests.filter(target=Target.PHOTO, child=child, status=Status.PENDING)
            .exclude(photo="")
            .order_by("-created_at", "-pk")
            .first()
        )
        if pending is None:
            raise Http404
        file = pending.photo
        content_type = (pending.changes.get("content_type") or {}).get("new") or "image/jpeg"
    else:
        photo = _related(child, "photo")
        if photo is None or not photo.file:
            raise Http404
        file, content_type = photo.file, photo.content_type
    try:
        handle = file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@family_required
@require_POST
def request_cancel(request, request_id):
    """« Annuler la demande »: the parent withdraws a pending request."""
    family = _family(request)
    change_request = get_object_or_404(family.change_requests.all(), pk=request_id)
    try:
        change_request_cancel(change_request=change_request, by=request.user)
    except DossierError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Votre demande de modification a été annulée."))
    return redirect(_dossier_url(family, "demandes"))
