"""Parent pages of the family-space creation form (« Je n’ai pas de code abonné »).

Each step is saved on the server (``FamilyCreationRequest.data``): leaving and coming back
resumes at the saved step with its values. Without JavaScript, « Copier l’adresse du
responsable 1 », « Ajouter un enfant » and « Retirer » are submit buttons that re-render
step 1; JavaScript only does the same without a round trip.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ..forms.creation import (
    ADDRESS_FIELDS,
    ChildFormSet,
    FinanceForm,
    GuardianForm,
    child_step_data,
    guardian_step_data,
)
from ..models import FamilyCreationRequest
from ..selectors.creation import (
    choice_fits,
    creation_latest_request,
    creation_open_request,
    payer_guardian,
    summary_context,
)
from ..services.creation import (
    GUARDIAN_FIELDS,
    STEP_COUNT,
    CreationError,
    creation_cancel,
    creation_draft_get,
    creation_step_save,
    creation_submit,
    enrolment_choices,
)

Status = FamilyCreationRequest.Status
STEP_TITLES = {
    1: gettext_lazy("Ma famille"),
    2: gettext_lazy("Mes informations financières"),
    3: gettext_lazy("Récapitulatif et envoi"),
}
CHILD_PREFIX = "enfants"
MAX_CHILDREN = 30


def _has_family(request) -> bool:
    return request.scope.families.exists()


def _open(request) -> FamilyCreationRequest | None:
    return creation_open_request(user=request.user, collectivity=request.collectivity)


def _steps(current: int, reached: int) -> list[dict]:
    return [
        {
            "number": number,
            "title": title,
            "current": number == current,
            "done": number < current,
            "url": reverse("family:creation_step", args=[number]) if number <= reached else "",
        }
        for number, title in STEP_TITLES.items()
    ]


def _render_step(request, step: int, context: dict, *, reached: int, status: int = 200):
    context.update(
        step=step,
        step_count=STEP_COUNT,
        step_title=STEP_TITLES[step],
        steps=_steps(step, reached),
    )
    return render(request, f"family/creation/step{step}.html", context, status=status)


def _error_summary(labelled_forms) -> list[dict]:
    """Links to every field in error, for the summary announced at the top of the step."""
    summary = []
    for label, form in labelled_forms:
        for message in form.non_field_errors():
            summary.append({"id": "contenu", "label": label, "message": message})
        for field in form:
            for message in field.errors:
                field_id = field.auto_id
                if field.name == "payer":
                    field_id = f"{field.auto_id}_0"
                summary.append(
                    {"id": field_id, "label": f"{label} — {field.label}", "message": message}
                )
    return summary


def holder_from_guardian(guardian: dict) -> dict:
    """Pre-fills of the account holder from the paying guardian (step 1's values)."""
    name = f"{guardian.get('first_name', '')} {guardian.get('last_name', '')}".strip()
    town = f"{guardian.get('postal_code', '')} {guardian.get('city', '')}".strip()
    parts = [guardian.get("address", ""), guardian.get("address_complement", ""), town]
    return {"holder_name": name, "holder_address": ", ".join(p for p in parts if p)}


# --- entry and status


@login_required
def creation(request):
    """« Je n’ai pas de code abonné » leads here: the form, or the request's status."""
    if _has_family(request):
        return redirect("family:space")
    open_request = _open(request)
    if open_request is None:
        latest = creation_latest_request(user=request.user, collectivity=request.collectivity)
        if latest is not None and latest.status == Status.REFUSED:
            return render(request, "family/creation/status.html", {"creation_request": latest})
        return redirect("family:creation_step", step=1)
    if open_request.status == Status.PENDING:
        return render(request, "family/creation/status.html", {"creation_request": open_request})
    return redirect("family:creation_step", step=min(open_request.step, STEP_COUNT))


@login_required
def creation_sent(request):
    """« Votre demande a été envoyée »."""
    open_request = _open(request)
    if open_request is None or open_request.status != Status.PENDING:
        return redirect("family:creation")
    return render(request, "family/creation/sent.html", {"creation_request": open_request})


@login_required
@require_POST
def creation_restart(request):
    """After a refusal: a new draft, pre-filled with the refused request's values."""
    if _has_family(request):
        return redirect("family:space")
    latest = creation_latest_request(user=request.user, collectivity=request.collectivity)
    data = latest.data if latest is not None and latest.status == Status.REFUSED else None
    creation_draft_get(user=request.user, collectivity=request.collectivity, data=data)
    return redirect("family:creation_step", step=1)


@login_required
@require_http_methods(["GET", "POST"])
def creation_cancel_view(request):
    """« Annuler ma demande » (a plain confirmation page)."""
    open_request = _open(request)
    if open_request is None:
        return redirect("family:creation")
    if request.method == "POST":
        try:
            creation_cancel(request=open_request, by=request.user)
        except CreationError as error:
            messages.error(request, error.message)
            return redirect("family:creation")
        messages.success(request, _("Votre demande de création de l’espace famille est annulée."))
        return redirect("family:no_code")
    return render(request, "family/creation/cancel.html", {"creation_request": open_request})


# --- the steps


@login_required
@require_http_methods(["GET", "POST"])
def creation_step(request, step: int):
    if _has_family(request):
        return redirect("family:space")
    if step not in STEP_TITLES:
        return redirect("family:creation")
    draft = _open(request)
    if draft is not None and draft.status != Status.DRAFT:
        return redirect("family:creation")
    reached = draft.step if draft is not None else 1
    if step > reached:
        return redirect("family:creation_step", step=reached)
    view = {1: _step1, 2: _step2, 3: _step3}[step]
    return view(request, draft, reached)


def _raw(post, prefix: str, fields: list[str]) -> dict:
    return {name: (post.get(f"{prefix}-{name}") or "").strip() for name in fields}


def _raw_children(post) -> list[dict]:
    from ..services.creation import CHILD_FIELDS

    try:
        count = int(post.get(f"{CHILD_PREFIX}-TOTAL_FORMS", 0))
    except ValueError:
        count = 0
    count = max(0, min(count, MAX_CHILDREN))
    return [_raw(post, f"{CHILD_PREFIX}-{index}", CHILD_FIELDS) for index in range(count)]


def _step1_forms(data=None, *, initial: dict | None = None):
    initial = initial or {}
    guardians = initial.get("guardians") or []
    return {
        "guardian1": GuardianForm(data, prefix="r1", initial=guardians[0] if guardians else None),
        "guardian2": GuardianForm(
            data,
            prefix="r2",
            optional=True,
            initial=guardians[1] if len(guardians) > 1 else None,
        ),
        "children": ChildFormSet(
            data, prefix=CHILD_PREFIX, initial=None if data else initial.get("children") or []
        ),
    }


def _step1_valid(forms: dict) -> dict | None:
    """The step's data if every form is valid, else None."""
    valid = [forms["guardian1"].is_valid(), forms["guardian2"].is_valid()]
    valid.append(forms["children"].is_valid())
    if not all(valid):
        return None
    guardians = [guardian_step_data(forms["guardian1"])]
    if not forms["guardian2"].is_empty():
        guardians.append(guardian_step_data(forms["guardian2"]))
    return {
        "guardians": guardians,
        # An extra form added by JavaScript and left empty has no cleaned data: skipped.
        "children": [
            child_step_data(form) for form in forms["children"].forms if form.cleaned_data
        ],
    }


def _step1(request, draft, reached):
    if request.method == "GET":
        forms = _step1_forms(initial=draft.data if draft is not None else None)
        return _render_step(request, 1, {**forms, "draft": draft}, reached=reached)

    action = request.POST.get("action", "next")
    forms = _step1_forms(request.POST)
    if action == "next":
        data = _step1_valid(forms)
        if data is None:
            labelled = [
                (_("Responsable 1"), forms["guardian1"]),
                (_("Responsable 2"), forms["guardian2"]),
            ] + [
                (_("Enfant %(number)d") % {"number": index}, form)
                for index, form in enumerate(forms["children"].forms, start=1)
            ]
            context = {**forms, "draft": draft, "has_errors": True}
            context["error_summary"] = _error_summary(labelled)
            return _render_step(request, 1, context, reached=reached)
        draft = draft or creation_draft_get(user=request.user, collectivity=request.collectivity)
        try:
            creation_step_save(request=draft, step=1, data=data)
        except CreationError as error:
            messages.error(request, error.message)
            return redirect("family:creation")
        return redirect("family:creation_step", step=2)

    # « Copier l'adresse du responsable 1 », « Ajouter un enfant », « Retirer »: re-render
    # with the change; the draft is saved when the step, changed, is valid.
    guardian1 = _raw(request.POST, "r1", GUARDIAN_FIELDS)
    guardian2 = _raw(request.POST, "r2", GUARDIAN_FIELDS)
    children = _raw_children(request.POST)
    focus = ""
    if action == "copy_address":
        guardian2.update({name: guardian1[name] for name in ADDRESS_FIELDS})
        messages.info(request, _("L’adresse du responsable 1 a été copiée pour le responsable 2."))
        focus = "id_r2-address"
    elif action == "add_child" and len(children) < MAX_CHILDREN:
        children.append({})
        focus = f"id_{CHILD_PREFIX}-{len(children) - 1}-last_name"
    elif action.startswith("remove-"):
        try:
            index = int(action.removeprefix("remove-"))
        except ValueError:
            index = -1
        if 0 <= index < len(children):
            children.pop(index)
            messages.info(request, _("L’enfant a été retiré du formulaire."))
    data = _step1_valid(_step1_forms(_as_post(guardian1, guardian2, children)))
    if data is not None:
        draft = draft or creation_draft_get(user=request.user, collectivity=request.collectivity)
        creation_step_save(request=draft, step=1, data=data, advance=False)
    forms = _step1_forms(initial={"guardians": [guardian1, guardian2], "children": children})
    return _render_step(
        request, 1, {**forms, "draft": draft, "focus": focus}, reached=draft.step if draft else 1
    )


def _as_post(guardian1: dict, guardian2: dict, children: list[dict]) -> dict:
    post = {f"r1-{name}": value for name, value in guardian1.items()}
    post.update({f"r2-{name}": value for name, value in guardian2.items()})
    post.update(
        {
            f"{CHILD_PREFIX}-TOTAL_FORMS": str(len(children)),
            f"{CHILD_PREFIX}-INITIAL_FORMS": str(len(children)),
        }
    )
    for index, child in enumerate(children):
        post.update({f"{CHILD_PREFIX}-{index}-{name}": value for name, value in child.items()})
    return post


def _step2(request, draft, reached):
    data = draft.data
    guardians = data.get("guardians") or []
    holders = [holder_from_guardian(g) for g in guardians]
    if request.method == "POST":
        form = FinanceForm(request.POST, guardians=guardians)
        if form.is_valid():
            try:
                creation_step_save(request=draft, step=2, data=form.step_data())
            except CreationError as error:
                form.add_error(None, error.message)
            else:
                return redirect("family:creation_step", step=3)
        return _render_step(
            request,
            2,
            {
                "form": form,
                "draft": draft,
                "holders": holders,
                "has_errors": True,
                "error_summary": _error_summary([(_("Mes informations financières"), form)]),
            },
            reached=reached,
        )
    payer = data.get("payer") or 1
    initial = {"payer": payer, **(data.get("fiscal") or {})}
    bank = data.get("bank")
    if bank:
        initial.update(bank)
    else:
        initial.update(holder_from_guardian(payer_guardian({**data, "payer": payer})))
    form = FinanceForm(initial=initial, guardians=guardians)
    return _render_step(
        request, 2, {"form": form, "draft": draft, "holders": holders}, reached=reached
    )


def _activity_rows(draft, choices: list[dict], selected: set) -> list[dict]:
    """Per child of step 1: the activities of its age it may be pre-enrolled in."""
    rows = []
    for index, child in enumerate(draft.data.get("children") or []):
        rows.append(
            {
                "index": index,
                "name": f"{child.get('first_name', '')} {child.get('last_name', '')}".strip(),
                "choices": [
                    {**choice, "checked": (index, choice["id"]) in selected}
                    for choice in choices
                    if choice_fits(choice, child)
                ],
            }
        )
    return rows


def _posted_enrolments(post, draft) -> list[dict]:
    rows = []
    for index, _child in enumerate(draft.data.get("children") or []):
        for value in post.getlist(f"activites-{index}"):
            rows.append({"child_index": index, "activity_id": value})
    return rows


def _step3(request, draft, reached):
    choices = enrolment_choices(request.collectivity)
    if request.method == "POST":
        try:
            if choices:
                creation_step_save(
                    request=draft,
                    step=3,
                    data={"enrolments": _posted_enrolments(request.POST, draft)},
                    advance=False,
                )
            creation_submit(request=draft, by=request.user)
        except CreationError as error:
            messages.error(request, error.message)
            return redirect("family:creation_step", step=3)
        return redirect("family:creation_sent")
    selected = {
        (row.get("child_index"), row.get("activity_id"))
        for row in draft.data.get("enrolments") or []
    }
    context = {
        "draft": draft,
        "activity_rows": _activity_rows(draft, choices, selected) if choices else [],
        "offers_activities": bool(choices),
        **summary_context(draft),
    }
    return _render_step(request, 3, context, reached=reached)
