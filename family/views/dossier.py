"""« Dossier famille » (parent side): the whole dossier with pending values in yellow, one
edit form per section, and the child's photo served privately.

Every object is reached through the request's families (``request.scope``) and then the
family's own relations; every edit becomes a change request (``family.services.changes``); the
dossier page's read model is ``family.selectors.dossier.dossier_page``.
"""

from functools import wraps

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
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
from ..hooks import change_attachment_fields
from ..models import ChangeRequest
from ..selectors.dossier import (
    GUARDIAN_ADDRESS_FIELDS,
    GUARDIAN_BASIC_FIELDS,
    active_authorization_types,
    dossier_page,
    dossier_url,
    fiscal_read_only_message,
    form_initial,
    related,
)
from ..services.changes import DossierError, change_request_cancel, change_request_submit

Target = ChangeRequest.Target
Action = ChangeRequest.Action
Status = ChangeRequest.Status


def _success_message() -> str:
    return _(
        "Votre demande de modification a été envoyée à la collectivité : elle sera visible "
        "après validation."
    )


# --- scoping


def _child(request, child_id):
    family = request.scope.family
    child = get_object_or_404(family.children.select_related("family"), pk=child_id)
    return family, child


def _guardian(request, guardian_id):
    family = request.scope.family
    return family, get_object_or_404(family.guardians.all(), pk=guardian_id)


# --- the dossier


@family_required
@require_GET
def dossier(request):
    """« Dossier famille »: guardians, financial data, children; pending values in yellow."""
    context = dossier_page(family=request.scope.family, scope=request.scope)
    context.update(_landing_messages(request, context))
    return render(request, "family/dossier/dossier.html", context)


LANDING_TAG = "dossier-"


def _landed(request, level, text, anchor: str) -> None:
    """A message shown inside the section the parent comes back to (``#anchor``), not at the
    top of a long page where it would be scrolled out of view."""
    messages.add_message(request, level, text, extra_tags=f"{LANDING_TAG}{anchor}")


def _page_anchors(context) -> set[str]:
    anchors = {section["key"] for section in context["finance_sections"]}
    for block in context["guardian_blocks"]:
        anchors.update(section["key"] for section in block["sections"])
    for block in context["child_blocks"]:
        anchors.update(section["key"] for section in block["sections"])
        anchors.update({f"enfant-{block['child'].pk}-adultes", f"enfant-{block['child'].pk}-photo"})
    if context["pending_summaries"] or context["refused_summaries"]:
        anchors.add("demandes")
    return anchors


def _landing_messages(request, context) -> dict:
    """Split the request's messages: those for a section of this page go into it
    (``landing``), the others (or those whose section is gone) stay at the top."""
    anchors = _page_anchors(context)
    top, landing = [], {}
    for message in messages.get_messages(request):
        anchor = message.extra_tags.removeprefix(LANDING_TAG) if message.extra_tags else ""
        if message.extra_tags.startswith(LANDING_TAG) and anchor in anchors:
            landing.setdefault(anchor, []).append(message)
        else:
            top.append(message)
    return {"top_messages": top, "landing": landing}


# --- edit forms


def _submit(request, *, anchor: str, **change) -> str:
    """Send the parent's edit as a change request and tell them, in the section they come
    back to (``anchor``); "" when it was sent, else why it was refused."""
    try:
        change_request_submit(by=request.user, **change)
    except DossierError as error:
        return error.message
    _landed(request, messages.SUCCESS, _success_message(), anchor)
    return ""


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
):
    form_kwargs = form_kwargs or {}
    extra = change_attachment_fields(family=family, target=target)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, **form_kwargs)
        form.fields.update(extra)
        if form.is_valid():
            attachments = {name: form.cleaned_data.pop(name) for name in extra}
            error = _submit(
                request,
                anchor=anchor,
                family=family,
                target=target,
                new_values=values(form) if values else dict(form.cleaned_data),
                action=action,
                object_id=object_id,
                child=child,
                attachments=attachments,
            )
            if not error:
                return redirect(dossier_url(family, anchor))
            form.add_error(None, error)
    else:
        form = form_class(initial=initial, **form_kwargs)
        form.fields.update(extra)
    return render(
        request,
        "family/dossier/form.html",
        {
            "family": family,
            "form": form,
            "title": title,
            "subject": subject,
            "pending_help": PENDING_HELP if action == Action.UPDATE else "",
            "back_url": dossier_url(family, anchor),
            "multipart": bool(extra),
        },
    )


def edit_view(view):
    """A dossier edit page: a parent with a family here, GET (the form) or POST (the request)."""
    return family_required(require_http_methods(["GET", "POST"])(view))


def _guardian_edit(request, guardian_id, *, form_class, title, section, fields):
    family, guardian = _guardian(request, guardian_id)
    return _edit(
        request,
        family=family,
        form_class=form_class,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        title=title,
        subject=str(guardian),
        anchor=f"responsable-{guardian.pk}-{section}",
        initial=form_initial(
            family=family, target=Target.GUARDIAN, object_id=guardian.pk, fields=fields
        ),
    )


def child_edit_view(view):
    """An edit page of one child's section: the view receives the family and the child."""

    @edit_view
    @wraps(view)
    def wrapped(request, child_id, **kwargs):
        family, child = _child(request, child_id)
        return view(request, family, child, **kwargs)

    return wrapped


# A child's sections: target -> (form, anchor key of the section on the dossier page).
CHILD_FORMS = {
    Target.CHILD: (ChildGeneralForm, "informations"),
    Target.AUTHORIZATIONS: (AuthorizationsForm, "autorisations"),
    Target.HEALTH: (HealthForm, "sante"),
    Target.AUTHORIZED_ADULT: (AuthorizedAdultForm, "adultes"),
}


def _child_edit(request, family, child, target, *, object_id=None, **options):
    """An edit page of one child's section; the form starts from the dossier's values unless
    ``initial`` is given."""
    form_class, section = CHILD_FORMS[target]
    if "initial" not in options:
        options["initial"] = form_initial(
            family=family, target=target, object_id=object_id, child=child
        )
    options.setdefault("subject", child.first_name)
    return _edit(
        request,
        family=family,
        form_class=form_class,
        target=target,
        object_id=object_id,
        child=child,
        anchor=f"enfant-{child.pk}-{section}",
        **options,
    )


@edit_view
def guardian_basic(request, guardian_id):
    return _guardian_edit(
        request,
        guardian_id,
        form_class=GuardianBasicForm,
        title=_("Informations de base"),
        section="informations",
        fields=GUARDIAN_BASIC_FIELDS,
    )


@edit_view
def guardian_address(request, guardian_id):
    return _guardian_edit(
        request,
        guardian_id,
        form_class=GuardianAddressForm,
        title=_("Adresse"),
        section="adresse",
        fields=GUARDIAN_ADDRESS_FIELDS,
    )


def _payer_holder(family) -> dict:
    """No bank details yet: the holder is the paying guardian."""
    payer = family.guardians.order_by("-is_payer", "rank", "pk").first()
    if payer is None:
        return {}
    address = " ".join(
        part
        for part in (payer.address, payer.address_complement, payer.postal_code, payer.city)
        if part
    )
    return {"holder_name": str(payer), "holder_address": address}


@edit_view
def bank_details(request):
    family = request.scope.family
    return _edit(
        request,
        family=family,
        form_class=BankDetailsForm,
        target=Target.BANK,
        title=_("Coordonnées bancaires"),
        anchor="coordonnees-bancaires",
        initial=form_initial(family=family, target=Target.BANK) or _payer_holder(family),
    )


@edit_view
def fiscal_data(request):
    family = request.scope.family
    if not request.collectivity.parents_may_edit_fiscal_data:
        if request.method == "POST":
            _landed(request, messages.ERROR, fiscal_read_only_message(), "donnees-fiscales")
            return redirect(dossier_url(family, "donnees-fiscales"))
        return render(
            request,
            "family/dossier/read_only.html",
            {
                "family": family,
                "title": _("Données fiscales"),
                "message": fiscal_read_only_message(),
                "back_url": dossier_url(family, "donnees-fiscales"),
            },
        )
    return _edit(
        request,
        family=family,
        form_class=FiscalDataForm,
        target=Target.FISCAL,
        title=_("Données fiscales"),
        anchor="donnees-fiscales",
        initial=form_initial(family=family, target=Target.FISCAL),
    )


@child_edit_view
def child_general(request, family, child):
    return _child_edit(
        request, family, child, Target.CHILD, object_id=child.pk, title=_("Informations générales")
    )


@child_edit_view
def child_authorizations(request, family, child):
    types = list(active_authorization_types(request.scope))
    if not types:
        raise Http404
    return _child_edit(
        request,
        family,
        child,
        Target.AUTHORIZATIONS,
        form_kwargs={"authorization_types": types},
        title=_("Autorisations"),
        initial=AuthorizationsForm.initial_from(
            form_initial(family=family, target=Target.AUTHORIZATIONS, child=child)
        ),
        values=lambda form: form.values(),
    )


@child_edit_view
def child_health(request, family, child):
    return _child_edit(request, family, child, Target.HEALTH, title=_("Données sanitaires"))


@child_edit_view
def adult_add(request, family, child):
    return _child_edit(
        request,
        family,
        child,
        Target.AUTHORIZED_ADULT,
        action=Action.CREATE,
        title=_("Ajouter un adulte habilité"),
        initial={"may_pick_up": True},
    )


@child_edit_view
def adult_edit(request, family, child, adult_id):
    adult = get_object_or_404(child.authorized_adults.all(), pk=adult_id)
    return _child_edit(
        request,
        family,
        child,
        Target.AUTHORIZED_ADULT,
        object_id=adult.pk,
        title=_("Adulte habilité"),
        subject=f"{child.first_name} — {adult.first_name} {adult.last_name}",
    )


@child_edit_view
def adult_remove(request, family, child, adult_id):
    """A plain confirmation page (no JavaScript dialog needed), then a removal request."""
    adult = get_object_or_404(child.authorized_adults.all(), pk=adult_id)
    anchor = f"enfant-{child.pk}-adultes"
    back_url = dossier_url(family, anchor)
    if request.method == "POST":
        error = _submit(
            request,
            anchor=anchor,
            family=family,
            target=Target.AUTHORIZED_ADULT,
            action=Action.DELETE,
            object_id=adult.pk,
            child=child,
            new_values={},
        )
        if error:
            _landed(request, messages.ERROR, error, anchor)
        return redirect(back_url)
    return render(
        request,
        "family/dossier/adult_remove.html",
        {"family": family, "child": child, "adult": adult, "back_url": back_url},
    )


@child_edit_view
def child_photo_edit(request, family, child):
    anchor = f"enfant-{child.pk}-photo"
    back_url = dossier_url(family, anchor)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        error = _submit(
            request,
            anchor=anchor,
            family=family,
            target=Target.PHOTO,
            child=child,
            new_values={"content_type": form.content_type},
            photo=form.cleaned_data["photo"],
        )
        if not error:
            return redirect(back_url)
        form.add_error(None, error)
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
        photo = related(child, "photo")
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
    family = request.scope.family
    change_request = get_object_or_404(family.change_requests.all(), pk=request_id)
    try:
        change_request_cancel(change_request=change_request, by=request.user)
    except DossierError as error:
        _landed(request, messages.ERROR, error.message, "demandes")
    else:
        _landed(
            request, messages.SUCCESS, _("Votre demande de modification a été annulée."), "demandes"
        )
    return redirect(dossier_url(family, "demandes"))
