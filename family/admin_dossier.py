"""Agents' back office for the family dossier (Wagtail admin, under /admin/familles/):
the queue of pending requests, one request's page with its decision, bulk decisions, the
health-data access log and the collectivity's authorisation types.

Every object comes through ``request.scope.agent(...)`` (another collectivity's request
answers 404; anyone who is not one of its agents is refused). Health data are need-to-know:
the values of a health request are shown only to agents with the health role
(``request.scope.can_view_health_data``), each display is logged (``HealthAccessLog``), and
only those agents may decide such a request.
"""

from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.dateformat import format as date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .authorizations import (
    authorization_type_create,
    authorization_type_deactivate,
    authorization_type_update,
)
from .changes import TARGET_FIELDS, DossierError, change_request_accept, change_request_refuse
from .models import (
    AuthorizationType,
    ChangeRequest,
    Child,
    ChildPhoto,
    FamilyCreationRequest,
    Guardian,
    HealthAccessLog,
)

Target = ChangeRequest.Target
Status = ChangeRequest.Status
CREATION_KIND = "creation"
QUEUE_PAGE_SIZE = 50
MAX_FAILURES_LISTED = 20


# --- Describing a change request -------------------------------------------------------------


@dataclass
class FieldChange:
    label: str
    old: str | None
    new: str | None


@dataclass
class RequestRow:
    request: ChangeRequest
    subject: str
    restricted: bool
    changes: list[FieldChange] = field(default_factory=list)
    photo_url: str = ""

    @property
    def can_decide(self) -> bool:
        return self.request.status == Status.PENDING and not self.restricted


def _target_model(target: str):
    if target == Target.PHOTO:
        return ChildPhoto
    if target == Target.AUTHORIZATIONS:
        return None
    return TARGET_FIELDS[target][0]


def _display_value(model, name: str, value) -> str | None:
    """A stored value as the agent reads it (labels, Oui/Non, French dates); None if empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    try:
        model_field = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        model_field = None
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.DateField) and isinstance(value, str):
        try:
            return date_format(date.fromisoformat(value), "d/m/Y")
        except ValueError:
            return value
    if isinstance(model_field, models.DecimalField):
        return str(value).replace(".", ",")
    return str(value)


def _field_label(model, name: str, auth_labels: dict) -> str:
    if name.startswith("auth_"):
        try:
            return auth_labels.get(int(name.removeprefix("auth_")), name)
        except ValueError:
            return name
    try:
        return capfirst(str(model._meta.get_field(name).verbose_name))
    except (FieldDoesNotExist, AttributeError):
        return name


def _person(first, last) -> str:
    return " ".join(part for part in (first or "", last or "") if part).strip()


def _subject(request: ChangeRequest, guardians: dict, children: dict) -> str:
    """ "Léa Dupont — Données sanitaires", "Sophie Dupont (responsable 1) — Responsable"…"""
    target_label = request.get_target_display()
    new_name = _person(
        request.changes.get("first_name", {}).get("new"),
        request.changes.get("last_name", {}).get("new"),
    )
    old_name = _person(
        request.changes.get("first_name", {}).get("old"),
        request.changes.get("last_name", {}).get("old"),
    )
    if request.target == Target.GUARDIAN:
        guardian = guardians.get(request.object_id)
        if guardian is not None:
            who = _("%(name)s (responsable %(rank)s)") % {
                "name": _person(guardian.first_name, guardian.last_name),
                "rank": guardian.rank,
            }
        else:
            who = new_name or old_name or _("Nouveau responsable")
        parts = [who, target_label]
    elif request.target == Target.CHILD:
        child = request.child or children.get(request.object_id)
        who = _person(child.first_name, child.last_name) if child else ""
        parts = [who or new_name or _("Nouvel enfant"), target_label]
    elif request.target in (Target.BANK, Target.FISCAL):
        parts = [target_label]
    else:
        child = request.child
        parts = [_person(child.first_name, child.last_name) if child else "", target_label]
        if request.target == Target.AUTHORIZED_ADULT and (new_name or old_name):
            parts.append(new_name or old_name)
    if request.action != ChangeRequest.Action.UPDATE:
        parts.append(request.get_action_display())
    return " — ".join(part for part in parts if part)


def describe_requests(
    scope, requests: list[ChangeRequest], *, values: bool = True, log_health: bool = True
) -> list[RequestRow]:
    """Rows for the queue, the detail page and the family history, in a fixed number of
    queries (guardians, children and authorisation labels fetched once for all rows).

    Health requests shown with their values are logged, one row per child displayed;
    ``values=False`` gives the subjects only (for messages), with nothing to log;
    ``log_health=False`` when the caller logs the children's access itself.
    """
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
    logged_children = set()
    rows = []
    for request in requests:
        restricted = request.target == Target.HEALTH and not may_see_health
        row = RequestRow(
            request=request,
            subject=_subject(request, guardians, children),
            restricted=restricted,
        )
        if values and not restricted:
            model = _target_model(request.target)
            for name, change in request.changes.items():
                if request.target == Target.PHOTO and name == "content_type":
                    continue
                row.changes.append(
                    FieldChange(
                        label=_field_label(model, name, auth_labels),
                        old=_display_value(model, name, change.get("old")),
                        new=_display_value(model, name, change.get("new")),
                    )
                )
            if request.target == Target.PHOTO and request.photo:
                row.photo_url = reverse("family_admin:request_photo", args=[request.pk])
            if request.target == Target.HEALTH and request.child_id:
                logged_children.add(request.child_id)
        rows.append(row)
    if logged_children and log_health:
        health_access_log(scope, logged_children)
    return rows


def health_access_log(scope, child_ids) -> None:
    """One HealthAccessLog row per child whose health data this request displays."""
    HealthAccessLog.objects.bulk_create(
        [
            HealthAccessLog(collectivity=scope.collectivity, user=scope.user, child_id=child_id)
            for child_id in sorted(child_ids)
        ]
    )


def _requests_queryset(scope):
    return scope.agent(ChangeRequest).select_related("family", "child", "created_by", "decided_by")


def _creation_url(pk: int) -> str:
    # The creation requests' own view (family.creation_admin) may not be installed yet.
    try:
        return reverse("family_admin:creation_detail", args=[pk])
    except NoReverseMatch:
        return ""


def _creation_rows(requests) -> list[dict]:
    rows = []
    for creation in requests:
        guardians = (creation.data or {}).get("guardians") or []
        first = guardians[0] if guardians and isinstance(guardians[0], dict) else {}
        rows.append(
            {
                "request": creation,
                "name": _person(first.get("first_name"), first.get("last_name")),
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


# --- The queue ---------------------------------------------------------------------------


@require_http_methods(["GET"])
def requests_queue(request):
    """« Demandes à traiter »: pending creation and change requests, oldest first."""
    scope = request.scope
    kind = request.GET.get("objet", "")
    if kind not in {CREATION_KIND, *Target.values}:
        kind = ""
    family_filter = request.GET.get("famille", "")
    family_id = int(family_filter) if family_filter.isdigit() else None

    pending = _requests_queryset(scope).filter(status=Status.PENDING)
    family_options = list(
        pending.order_by("family__name", "family_id")
        .values_list("family_id", "family__name")
        .distinct()
    )
    changes = pending
    if kind and kind != CREATION_KIND:
        changes = changes.filter(target=kind)
    if family_id is not None:
        changes = changes.filter(family_id=family_id)
    show_changes = kind != CREATION_KIND
    show_creations = kind in ("", CREATION_KIND) and family_id is None
    page = None
    rows = []
    if show_changes:
        page = Paginator(changes.order_by("created_at", "pk"), QUEUE_PAGE_SIZE).get_page(
            request.GET.get("p")
        )
        rows = describe_requests(scope, list(page.object_list))
    creations = []
    if show_creations:
        creations = _creation_rows(
            scope.agent(FamilyCreationRequest)
            .filter(status=FamilyCreationRequest.Status.PENDING)
            .select_related("user")
            .order_by("submitted_at", "created_at", "pk")[:200]
        )
    query = request.GET.copy()
    query.pop("p", None)
    return render(
        request,
        "family/admin/requests_queue.html",
        {
            "page_title": _("Demandes à traiter"),
            "header_icon": "tasks",
            "rows": rows,
            "page": page,
            "creations": creations,
            "show_changes": show_changes,
            "show_creations": show_creations,
            "kind": kind,
            "kinds": [(CREATION_KIND, _("Création de l’espace famille")), *Target.choices],
            "family_id": family_id,
            "family_options": family_options,
            "filter_query": query.urlencode(),
            "can_view_health_data": scope.can_view_health_data,
        },
    )


# --- One request ------------------------------------------------------------------------


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif du refus"),
        help_text=gettext_lazy("La famille lira ce motif."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


def _change_request(request, pk: int) -> ChangeRequest:
    return get_object_or_404(_requests_queryset(request.scope), pk=pk)


def _restricted_response(request):
    response = render(
        request,
        "family/admin/restricted.html",
        {
            "page_title": _("Accès restreint"),
            "header_icon": "lock",
            "queue_url": reverse("family_admin:requests"),
        },
        status=403,
    )
    return response


def _render_detail(request, change_request: ChangeRequest, refusal_form=None, status=200):
    row = describe_requests(request.scope, [change_request])[0]
    response = render(
        request,
        "family/admin/request_detail.html",
        {
            "page_title": _("Demande de modification"),
            "page_subtitle": change_request.family.name,
            "header_icon": "tasks",
            "row": row,
            "change_request": change_request,
            "refusal_form": refusal_form or RefusalForm(),
            "queue_url": reverse("family_admin:requests"),
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET"])
def request_detail(request, pk: int):
    return _render_detail(request, _change_request(request, pk))


def _already_decided(change_request: ChangeRequest) -> str:
    return _("Cette demande a déjà été traitée (%(status)s).") % {
        "status": change_request.get_status_display()
    }


def _may_decide(request, change_request: ChangeRequest) -> bool:
    return change_request.target != Target.HEALTH or request.scope.can_view_health_data


@require_http_methods(["POST"])
def request_accept(request, pk: int):
    change_request = _change_request(request, pk)
    if not _may_decide(request, change_request):
        return _restricted_response(request)
    try:
        change_request_accept(change_request=change_request, by=request.user)
    except DossierError as error:
        messages.error(request, str(error))
        return redirect("family_admin:request_detail", pk=change_request.pk)
    messages.success(
        request,
        _("Demande acceptée : %(what)s (famille %(family)s). Le dossier est mis à jour.")
        % {"what": change_request.get_target_display(), "family": change_request.family.name},
    )
    return redirect("family_admin:requests")


@require_http_methods(["POST"])
def request_refuse(request, pk: int):
    change_request = _change_request(request, pk)
    if not _may_decide(request, change_request):
        return _restricted_response(request)
    if change_request.status != Status.PENDING:
        messages.error(request, _already_decided(change_request))
        return redirect("family_admin:request_detail", pk=change_request.pk)
    form = RefusalForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "").strip()
    if not reason:
        form.add_error("reason", _("Indiquez le motif du refus : la famille le lira."))
        return _render_detail(request, change_request, refusal_form=form, status=400)
    try:
        change_request_refuse(change_request=change_request, by=request.user, reason=reason)
    except DossierError as error:
        messages.error(request, str(error))
        return redirect("family_admin:request_detail", pk=change_request.pk)
    messages.success(
        request,
        _("Demande refusée : %(what)s (famille %(family)s). La famille lira le motif.")
        % {"what": change_request.get_target_display(), "family": change_request.family.name},
    )
    return redirect("family_admin:requests")


@require_http_methods(["POST"])
def requests_bulk(request):
    """« Accepter la sélection » / « Refuser la sélection »: each request through the service,
    one at a time; the agent reads how many succeeded and which failed, and why."""
    scope = request.scope
    queue_url = reverse("family_admin:requests")
    action = request.POST.get("action")
    ids = [value for value in request.POST.getlist("request") if value.isdigit()]
    reason = (request.POST.get("reason") or "").strip()
    back = queue_url + (f"?{request.POST['filters']}" if request.POST.get("filters") else "")
    if action not in ("accept", "refuse"):
        messages.error(request, _("Choisissez « Accepter » ou « Refuser la sélection »."))
        return redirect(back)
    if not ids:
        messages.error(request, _("Cochez au moins une demande."))
        return redirect(back)
    if action == "refuse" and not reason:
        messages.error(
            request,
            _("Indiquez le motif du refus (la famille le lira) : aucune demande n’a été refusée."),
        )
        return redirect(back)
    selected = list(_requests_queryset(scope).filter(pk__in=ids).order_by("created_at", "pk"))
    rows = {row.request.pk: row for row in describe_requests(scope, selected, values=False)}
    done, failures = 0, []
    for change_request in selected:
        row = rows[change_request.pk]
        if not _may_decide(request, change_request):
            failures.append((row.subject, change_request.family.name, _("accès restreint")))
            continue
        try:
            if action == "accept":
                change_request_accept(change_request=change_request, by=request.user)
            else:
                change_request_refuse(change_request=change_request, by=request.user, reason=reason)
        except DossierError as error:
            failures.append((row.subject, change_request.family.name, str(error)))
        else:
            done += 1
    missing = len(set(ids)) - len(selected)
    if done:
        template = (
            _("%(count)s demande(s) acceptée(s).")
            if action == "accept"
            else _("%(count)s demande(s) refusée(s).")
        )
        messages.success(request, template % {"count": done})
    if failures:
        messages.error(
            request,
            _("%(count)s demande(s) non traitée(s) :") % {"count": len(failures)}
            + " "
            + " ; ".join(
                _("%(family)s, %(what)s : %(why)s") % {"family": fam, "what": what, "why": why}
                for what, fam, why in failures[:MAX_FAILURES_LISTED]
            ),
        )
    if missing:
        messages.error(
            request,
            _("%(count)s demande(s) introuvable(s) dans votre collectivité.") % {"count": missing},
        )
    return redirect(back)


@require_http_methods(["GET"])
def request_photo(request, pk: int):
    """The photo a parent proposes, served through the scoped request (private storage)."""
    change_request = _change_request(request, pk)
    if change_request.target != Target.PHOTO or not change_request.photo:
        raise Http404
    content_type = (change_request.changes.get("content_type") or {}).get("new") or "image/jpeg"
    response = FileResponse(change_request.photo.open("rb"), content_type=content_type)
    add_never_cache_headers(response)
    response["Cache-Control"] += ", private"
    return response


# --- Health-data access log -------------------------------------------------------------------


@require_http_methods(["GET"])
def health_access_logs(request):
    scope = request.scope
    logs = scope.agent(HealthAccessLog)
    if not scope.can_view_health_data:
        return _restricted_response(request)
    page = Paginator(
        logs.select_related("user", "child__family").order_by("-created_at", "-pk"), 50
    ).get_page(request.GET.get("p"))
    return render(
        request,
        "family/admin/health_logs.html",
        {
            "page_title": _("Consultations des données sanitaires"),
            "header_icon": "view",
            "page": page,
        },
    )


# --- Authorisation types ----------------------------------------------------------------------


class AuthorizationTypeForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("Libellé"),
        max_length=150,
        error_messages={"required": gettext_lazy("Indiquez le libellé de l’autorisation.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Le texte que les parents lisent sous le libellé."),
    )
    order = forms.IntegerField(
        label=gettext_lazy("Ordre"),
        min_value=0,
        max_value=32767,
        initial=0,
        help_text=gettext_lazy("Les autorisations sont présentées dans cet ordre."),
    )
    active = forms.BooleanField(
        label=gettext_lazy("Active (proposée aux parents)"), required=False, initial=True
    )


def _types_url() -> str:
    return reverse("family_admin:authorization_types")


@require_http_methods(["GET"])
def authorization_types(request):
    types = request.scope.agent(AuthorizationType).order_by("order", "label", "pk")
    return render(
        request,
        "family/admin/authorization_types.html",
        {
            "page_title": _("Autorisations"),
            "header_icon": "tick-inverse",
            "types": types,
        },
    )


def _type_form_page(request, form, *, authorization_type=None):
    return render(
        request,
        "family/admin/authorization_type_form.html",
        {
            "page_title": _("Modifier une autorisation")
            if authorization_type
            else _("Ajouter une autorisation"),
            "header_icon": "tick-inverse",
            "form": form,
            "authorization_type": authorization_type,
            "cancel_url": _types_url(),
        },
    )


@require_http_methods(["GET", "POST"])
def authorization_type_add(request):
    request.scope.agent(AuthorizationType)  # agents only, before anything is read or written
    form = AuthorizationTypeForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            created = authorization_type_create(
                collectivity=request.collectivity,
                label=form.cleaned_data["label"],
                description=form.cleaned_data["description"],
                order=form.cleaned_data["order"],
                active=form.cleaned_data["active"],
                by=request.user,
            )
        except DossierError as error:
            form.add_error("label", str(error))
        else:
            messages.success(
                request, _("Autorisation ajoutée : %(label)s.") % {"label": created.label}
            )
            return redirect(_types_url())
    return _type_form_page(request, form)


@require_http_methods(["GET", "POST"])
def authorization_type_edit(request, pk: int):
    authorization_type = get_object_or_404(request.scope.agent(AuthorizationType), pk=pk)
    initial = {
        name: getattr(authorization_type, name) for name in AuthorizationTypeForm.base_fields
    }
    form = AuthorizationTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            updated = authorization_type_update(
                authorization_type=authorization_type, by=request.user, **form.cleaned_data
            )
        except DossierError as error:
            form.add_error("label", str(error))
        else:
            messages.success(
                request, _("Autorisation enregistrée : %(label)s.") % {"label": updated.label}
            )
            return redirect(_types_url())
    return _type_form_page(request, form, authorization_type=authorization_type)


@require_http_methods(["GET", "POST"])
def authorization_type_deactivate_view(request, pk: int):
    authorization_type = get_object_or_404(request.scope.agent(AuthorizationType), pk=pk)
    if request.method == "POST":
        try:
            authorization_type_deactivate(authorization_type=authorization_type, by=request.user)
        except DossierError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Autorisation désactivée : %(label)s. Elle n’est plus proposée aux parents.")
                % {"label": authorization_type.label},
            )
        return redirect(_types_url())
    return render(
        request,
        "family/admin/confirm.html",
        {
            "page_title": _("Désactiver une autorisation"),
            "header_icon": "warning",
            "message": _(
                "L’autorisation « %(label)s » ne sera plus proposée aux parents. Les réponses "
                "déjà données sont conservées ; vous pourrez la réactiver en la modifiant."
            )
            % {"label": authorization_type.label},
            "extra": [],
            "action_url": request.path,
            "submit_label": _("Désactiver"),
            "cancel_url": _types_url(),
            "danger": True,
        },
    )
