"""Parent pages of the pre-enrolments (« Pré-inscriptions »), gated by the enrolment module.

Children come only through ``request.scope.parent(Child)`` and enrolments through
``request.scope.parent(Enrolment)``: another family's child or enrolment answers 404.
Activities are the collectivity's own (``request.scope.rows(Activity)``), active and not
over. Everything works without JavaScript: cancelling goes through a confirmation page.
"""

import secrets

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from family.decorators import family_required
from family.models import Child
from portal.views_helpers import run_action

from ..errors import PlanningError
from ..forms.enrolments import EnrolmentRequestForm
from ..models import Activity, Enrolment
from ..rules import local_now
from ..services.enrolments import enrolment_cancel, enrolment_request, weekdays_label

SESSION_TOKENS = "planning_enrolment_tokens"
MAX_TOKENS_KEPT = 20

STATUS_SYMBOLS = {
    Enrolment.Status.PENDING: "…",
    Enrolment.Status.ACCEPTED: "✓",
    Enrolment.Status.REFUSED: "✗",
    Enrolment.Status.CANCELLED: "–",
}


def _children(request):
    return (
        request.scope.parent(Child)
        .select_related("family")
        .order_by("family__name", "birth_date", "first_name", "pk")
    )


def _activities(request):
    return request.scope.rows(Activity).filter(is_active=True, end_date__gte=local_now().date())


@family_required
@require_http_methods(["GET"])
def enrolments(request):
    """The family's enrolments per child: activity, period, typical week, status."""
    children = list(_children(request))
    rows = (
        request.scope.parent(Enrolment)
        .select_related("activity")
        .order_by("-start_date", "activity__name", "-pk")
    )
    by_child = {child.pk: [] for child in children}
    for enrolment in rows:
        enrolment.weekdays_display = weekdays_label(enrolment.weekdays)
        enrolment.symbol = STATUS_SYMBOLS[enrolment.status]
        by_child.setdefault(enrolment.child_id, []).append(enrolment)
    return render(
        request,
        "planning/enrolments.html",
        {
            "children": [(child, by_child[child.pk]) for child in children],
            "may_request": _activities(request).exists(),
        },
    )


def _remember_token(request, token: str, enrolment_id: int) -> None:
    tokens = dict(request.session.get(SESSION_TOKENS) or {})
    tokens[token] = enrolment_id
    request.session[SESSION_TOKENS] = dict(list(tokens.items())[-MAX_TOKENS_KEPT:])


@family_required
@require_http_methods(["GET", "POST"])
def enrolment_new(request):
    """« Demander une pré-inscription »."""
    children, activities = _children(request), _activities(request)
    if request.method == "POST":
        form = EnrolmentRequestForm(request.POST, children=children, activities=activities)
        token = request.POST.get("token", "")
        if token and token in (request.session.get(SESSION_TOKENS) or {}):
            # The same form sent twice (double click, reload): one request only.
            messages.info(request, _("Votre demande de pré-inscription a déjà été envoyée."))
            return redirect("planning:enrolments")
        if form.is_valid():
            try:
                enrolment = enrolment_request(
                    **form.service_kwargs(),
                    user=request.user,
                    comment=form.cleaned_data["comment"],
                )
            except PlanningError as error:
                form.add_error(None, error.message)
            else:
                if token:
                    _remember_token(request, token, enrolment.pk)
                messages.success(
                    request,
                    _(
                        "Votre demande de pré-inscription de %(child)s à « %(activity)s » a été "
                        "envoyée. Vous recevrez un accusé de réception par e-mail."
                    )
                    % {"child": enrolment.child.first_name, "activity": enrolment.activity.name},
                )
                return redirect("planning:enrolments")
        status = 400
    else:
        initial = {"token": secrets.token_urlsafe(24)}
        child_id = request.GET.get("enfant", "")
        if child_id.isdigit():
            initial["child"] = children.filter(pk=child_id).first()
        activity_id = request.GET.get("activite", "")
        if activity_id.isdigit():
            activity = activities.filter(pk=activity_id).first()
            if activity is not None:
                initial.update(
                    activity=activity, start_date=activity.start_date, end_date=activity.end_date
                )
        form = EnrolmentRequestForm(initial=initial, children=children, activities=activities)
        status = 200
    return render(
        request,
        "planning/enrolment_form.html",
        {"form": form, "activities": activities.order_by("name", "pk")},
        status=status,
    )


@family_required
@require_http_methods(["GET", "POST"])
def enrolment_cancel_view(request, pk: int):
    """« Annuler la demande »: a confirmation page, then POST."""
    enrolment = get_object_or_404(
        request.scope.parent(Enrolment).select_related("child", "activity"), pk=pk
    )
    if request.method == "POST":
        return run_action(
            request,
            lambda: enrolment_cancel(enrolment=enrolment, user=request.user),
            errors=PlanningError,
            error_url=reverse("planning:enrolments"),
            done=_("Votre demande de pré-inscription de %(child)s à « %(activity)s » est annulée.")
            % {"child": enrolment.child.first_name, "activity": enrolment.activity.name},
            done_url=reverse("planning:enrolments"),
        )
    if enrolment.status != Enrolment.Status.PENDING:
        messages.error(
            request, _("Cette pré-inscription a déjà été traitée : elle ne peut plus être annulée.")
        )
        return redirect("planning:enrolments")
    return render(request, "planning/enrolment_cancel.html", {"enrolment": enrolment})
