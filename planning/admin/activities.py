"""Agents' back office for activities (Wagtail admin, under /admin/enfance/): the activities
and their calendar (closures, generated slots, orphans), the occupancy of the slots, and the
attendance registers (on screen, for a tablet, and as a PDF to print).

Every object comes through ``request.scope.agent(...)``: another collectivity's activity or
slot answers 404, and anyone who is not one of this collectivity's agents is refused.
Everything is a plain form (GET filters, POST changes): it all works without JavaScript.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from portal.formats import date_long
from portal.pdf import render_pdf

from ..calendar import activity_calendar
from ..errors import PlanningError
from ..forms.activities import (
    FIELD_GROUPS,
    ActivityForm,
    ClosureForm,
    DayForm,
    PeriodFilterForm,
    activity_initial,
)
from ..models import WEEKDAY_LABELS, Activity, ActivityClosure, Booking, Slot
from ..selectors.activities import activities_listed, attendance_slots, occupancy_days
from ..services.activities import activity_delete as activity_delete_service
from ..services.activities import activity_save, closure_remove
from ..services.activities import closure_add as closure_add_service
from ..services.attendance import (
    ABSENT,
    EXCUSED,
    MARKS,
    PRESENT,
    attendance_mark,
    current_mark,
    register_bookings,
)
from ..services.slots import SlotReport, orphan_slots, slots_generate
from .common import admin_page

State = Booking.State

MARK_LABELS = {
    PRESENT: gettext_lazy("Présent"),
    ABSENT: gettext_lazy("Absent"),
    EXCUSED: gettext_lazy("Absence excusée"),
}


# --- helpers -------------------------------------------------------------------------------


def _activity(request, pk: int) -> Activity:
    return get_object_or_404(request.scope.agent(Activity).select_related("collectivity"), pk=pk)


def _slot(request, slot_id: int) -> Slot:
    return get_object_or_404(
        request.scope.agent(Slot).select_related("activity", "activity__collectivity"),
        pk=slot_id,
    )


def _short(value: datetime.date) -> str:
    return date_format(value, "d/m/Y")


def weekdays_text(weekdays) -> str:
    return ", ".join(str(WEEKDAY_LABELS[day]) for day in sorted(weekdays or ()) if 0 <= day < 7)


# What a slot generation may add to its summary, and warn about (counted by "count").
_RESTORED = ngettext_lazy(
    "%(count)s date hors calendrier y est revenue.",
    "%(count)s dates hors calendrier y sont revenues.",
    "count",
)
_PROMOTED = ngettext_lazy(
    "%(count)s enfant a obtenu une place depuis la liste d’attente.",
    "%(count)s enfants ont obtenu une place depuis la liste d’attente.",
    "count",
)
_ORPHANS = ngettext_lazy(
    "%(count)s créneau hors calendrier est conservé car des enfants y sont "
    "inscrits : %(dates)s. Voir « Créneaux hors calendrier ».",
    "%(count)s créneaux hors calendrier sont conservés car des enfants y sont "
    "inscrits : %(dates)s. Voir « Créneaux hors calendrier ».",
    "count",
)
_OVER_CAPACITY = ngettext_lazy(
    "%(count)s créneau compte plus d’enfants que la nouvelle capacité "
    "(personne n’a été retiré) : %(dates)s.",
    "%(count)s créneaux comptent plus d’enfants que la nouvelle capacité "
    "(personne n’a été retiré) : %(dates)s.",
    "count",
)


def _slot_dates(slots) -> str:
    """The first ten dates, « … » after them when there are more."""
    return ", ".join(_short(slot.date) for slot in slots[:10]) + ("…" if len(slots) > 10 else "")


def report_messages(report: SlotReport) -> tuple[str, list[str]]:
    """The summary of a generation (one sentence) and its warnings, in French."""
    summary = _(
        "Créneaux : %(created)s créé(s), %(updated)s mis à jour, %(removed)s supprimé(s)."
    ) % {"created": report.created, "updated": report.updated, "removed": report.removed}
    for count, text in ((report.restored, _RESTORED), (report.promoted, _PROMOTED)):
        if count:
            summary += " " + text % {"count": count}
    warnings = [
        text % {"count": len(slots), "dates": _slot_dates(slots)}
        for slots, text in ((report.orphans, _ORPHANS), (report.over_capacity, _OVER_CAPACITY))
        if slots
    ]
    return summary, warnings


def _announce(request, report: SlotReport, prefix: str) -> None:
    summary, warnings = report_messages(report)
    messages.success(request, f"{prefix} {summary}")
    for warning in warnings:
        messages.warning(request, warning)


@dataclass
class ClosedPeriod:
    reason: str
    start: datetime.date
    end: datetime.date


def closed_periods(activity: Activity, *, since: datetime.date) -> list[ClosedPeriod]:
    """The activity's closed days from ``since`` on (holidays, closures…), consecutive days of
    the same reason grouped; weekdays without activity are left out (they are the rule)."""
    weekday_closed = _("Fermé ce jour de la semaine")
    periods: list[ClosedPeriod] = []
    current = None
    for day, reason in activity_calendar(activity).items():
        if day < since or reason == weekday_closed:
            continue
        if reason is None:
            current = None
            continue
        if current is not None and current.reason == reason:
            current.end = day
            continue
        current = ClosedPeriod(reason=reason, start=day, end=day)
        periods.append(current)
    return periods


# --- activities ----------------------------------------------------------------------------


@require_http_methods(["GET"])
def activities(request):
    rows = activities_listed(request.scope)
    return admin_page(
        request,
        "planning/admin/activity_list.html",
        page_title=_("Activités"),
        header_icon="date",
        activities=[(activity, weekdays_text(activity.weekdays)) for activity in rows],
        kinds=Activity.Kind.choices,
    )


def _saved(request, form, message, *, collectivity=None):
    """Save the form's activity and its slots; the detail page, with ``message`` (which
    names the activity) and what changed in the slots."""
    activity = form.save(commit=False)
    report = activity_save(activity=activity, actor=request.user, collectivity=collectivity)
    _announce(request, report, message % {"name": activity.name})
    return redirect("planning_admin:activity_detail", activity.pk)


@require_http_methods(["GET", "POST"])
def activity_add(request):
    scope = request.scope
    scope.agent(Activity)  # agents only, before anything else
    kind = request.GET.get("type")
    if request.method == "POST":
        form = ActivityForm(request.POST)
        if form.is_valid():
            message = _("L’activité « %(name)s » est créée.")
            return _saved(request, form, message, collectivity=scope.collectivity)
    else:
        form = ActivityForm(initial=activity_initial(kind))
    return _form_page(request, form, title=_("Nouvelle activité"), activity=None)


@require_http_methods(["GET", "POST"])
def activity_edit(request, pk: int):
    activity = _activity(request, pk)
    if request.method == "POST":
        form = ActivityForm(request.POST, instance=activity)
        if form.is_valid():
            return _saved(request, form, _("L’activité « %(name)s » est enregistrée."))
    else:
        form = ActivityForm(instance=activity)
    return _form_page(
        request,
        form,
        title=_("Modifier l’activité « %(name)s »") % {"name": activity.name},
        activity=activity,
    )


def _form_page(request, form, *, title, activity):
    status = 400 if form.is_bound and form.errors else 200
    cancel_url = (
        reverse("planning_admin:activity_detail", args=[activity.pk])
        if activity
        else reverse("planning_admin:activities")
    )
    return admin_page(
        request,
        "planning/admin/activity_form.html",
        page_title=title,
        header_icon="date",
        form=form,
        activity=activity,
        cancel_url=cancel_url,
        groups=FIELD_GROUPS,
        http_status=status,
    )


def _detail_page(request, activity: Activity, *, closure_form=None, status=200):
    today = timezone.localdate()
    slot_stats = (
        request.scope.agent(Slot)
        .filter(activity=activity)
        .aggregate(
            total=Count("pk"),
            upcoming=Count("pk", filter=Q(date__gte=today, is_orphan=False)),
        )
    )
    return admin_page(
        request,
        "planning/admin/activity_detail.html",
        page_title=activity.name,
        page_subtitle=activity.get_kind_display(),
        header_icon="date",
        activity=activity,
        weekdays=weekdays_text(activity.weekdays),
        slot_stats=slot_stats,
        orphans=list(orphan_slots(activity)),
        closures=list(request.scope.agent(ActivityClosure).filter(activity=activity)),
        closure_form=closure_form or ClosureForm(activity=activity),
        closed_periods=closed_periods(activity, since=today),
        today=today,
        http_status=status,
    )


@require_http_methods(["GET"])
def activity_detail(request, pk: int):
    return _detail_page(request, _activity(request, pk))


@require_POST
def activity_generate(request, pk: int):
    activity = _activity(request, pk)
    report = slots_generate(activity=activity, actor=request.user)
    _announce(request, report, _("Créneaux régénérés."))
    return redirect("planning_admin:activity_detail", activity.pk)


@require_http_methods(["GET", "POST"])
def activity_delete(request, pk: int):
    activity = _activity(request, pk)
    detail_url = reverse("planning_admin:activity_detail", args=[activity.pk])
    in_use = (
        activity.enrolments.exists()
        or activity.requests.exists()
        or request.scope.agent(Booking).filter(slot__activity=activity).exists()
    )
    if request.method == "POST" and not in_use:
        name = activity.name
        try:
            activity_delete_service(activity=activity)
        except PlanningError as error:
            messages.error(request, error.message)
            return redirect(detail_url)
        messages.success(request, _("L’activité « %(name)s » est supprimée.") % {"name": name})
        return redirect("planning_admin:activities")
    return admin_page(
        request,
        "planning/admin/activity_delete.html",
        page_title=_("Supprimer l’activité « %(name)s »") % {"name": activity.name},
        header_icon="warning",
        activity=activity,
        in_use=in_use,
        cancel_url=detail_url,
        http_status=409 if in_use and request.method == "POST" else 200,
    )


# --- closures ("jours sans activité") ------------------------------------------------------


@require_POST
def closure_add(request, pk: int):
    activity = _activity(request, pk)
    form = ClosureForm(request.POST, activity=activity)
    if form.is_valid():
        closure = form.save(commit=False)
        report = closure_add_service(closure=closure, actor=request.user)
        _announce(
            request,
            report,
            _("Le %(date)s est un jour sans activité.") % {"date": _short(closure.date)},
        )
        return redirect("planning_admin:activity_detail", activity.pk)
    return _detail_page(request, activity, closure_form=form, status=400)


@require_http_methods(["GET", "POST"])
def closure_delete(request, pk: int, closure_pk: int):
    activity = _activity(request, pk)
    closure = get_object_or_404(
        request.scope.agent(ActivityClosure).filter(activity=activity), pk=closure_pk
    )
    detail_url = reverse("planning_admin:activity_detail", args=[activity.pk])
    if request.method == "POST":
        day = closure.date
        report = closure_remove(closure=closure, actor=request.user)
        _announce(
            request,
            report,
            _("Le %(date)s n’est plus un jour sans activité.") % {"date": _short(day)},
        )
        return redirect(detail_url)
    return admin_page(
        request,
        "planning/admin/activity_closure_delete.html",
        page_title=_("Retirer un jour sans activité"),
        header_icon="warning",
        activity=activity,
        closure=closure,
        cancel_url=detail_url,
    )


# --- occupancy -----------------------------------------------------------------------------


@require_http_methods(["GET"])
def occupancy(request):
    scope = request.scope
    activity_list = list(scope.agent(Activity).order_by("name", "pk").only("pk", "name"))
    today = timezone.localdate()
    form = PeriodFilterForm(request.GET or None, activities=activity_list, today=today)
    days = []
    start, end, activity_id = form.default_start, form.default_end, None
    valid = not form.is_bound or form.is_valid()
    if form.is_bound and valid:
        start, end = form.cleaned_data["du"], form.cleaned_data["au"]
        activity_id = form.cleaned_data["activite"]
    if valid:
        days = occupancy_days(scope, start=start, end=end, activity_id=activity_id)
    return admin_page(
        request,
        "planning/admin/occupancy.html",
        page_title=_("Occupation des créneaux"),
        header_icon="table",
        form=form,
        days=days,
        start=start,
        end=end,
        today=today,
        http_status=200 if valid else 400,
    )


# --- attendance ----------------------------------------------------------------------------


@require_http_methods(["GET"])
def attendance(request):
    scope = request.scope
    scope.agent(Slot)
    today = timezone.localdate()
    form = DayForm(request.GET or None)
    day = today
    valid = not form.is_bound or form.is_valid()
    if form.is_bound and valid and form.cleaned_data["jour"]:
        day = form.cleaned_data["jour"]
    slots = []
    if valid:
        slots = attendance_slots(scope, day)
    return admin_page(
        request,
        "planning/admin/attendance.html",
        page_title=_("Pointage"),
        header_icon="tick-inverse",
        form=form,
        day=day,
        day_text=date_long(day),
        today=today,
        previous_day=day - datetime.timedelta(days=1),
        next_day=day + datetime.timedelta(days=1),
        slots=slots,
        http_status=200 if valid else 400,
    )


@require_http_methods(["GET", "POST"])
def register(request, slot_id: int):
    slot = _slot(request, slot_id)
    bookings = list(register_bookings(slot))
    posted = {}
    status = 200
    if request.method == "POST":
        for key, value in request.POST.items():
            if key.startswith("presence-"):
                posted[key.removeprefix("presence-")] = value
        try:
            report = attendance_mark(slot=slot, marks=posted, agent=request.user)
        except PlanningError as error:
            messages.error(request, error.message)
            status = 400
        else:
            messages.success(
                request,
                ngettext(
                    "Pointage enregistré : %(count)s changement.",
                    "Pointage enregistré : %(count)s changements.",
                    report.changed,
                )
                % {"count": report.changed},
            )
            return redirect("planning_admin:register", slot.pk)
    rows = []
    for booking in bookings:
        mark = posted.get(str(booking.child_id)) if posted else current_mark(booking)
        rows.append({"booking": booking, "child": booking.child, "mark": mark})
    return admin_page(
        request,
        "planning/admin/attendance_register.html",
        page_title=_("Feuille de pointage"),
        page_subtitle=f"{slot.activity.name} — {date_long(slot.date)}",
        header_icon="tick-inverse",
        slot=slot,
        day_text=date_long(slot.date),
        rows=rows,
        marks=[(value, MARK_LABELS[value]) for value in MARKS],
        is_future=slot.date > timezone.localdate(),
        attendance_url=reverse("planning_admin:attendance") + f"?jour={slot.date:%Y-%m-%d}",
        http_status=status,
    )


def register_html(slot: Slot) -> str:
    bookings = list(register_bookings(slot))
    return render_to_string(
        "planning/pdf/register.html",
        {
            "slot": slot,
            "activity": slot.activity,
            "collectivity": slot.activity.collectivity,
            "day_text": date_long(slot.date),
            "bookings": bookings,
            "printed_at": timezone.localtime(),
        },
    )


@require_http_methods(["GET"])
def register_pdf(request, slot_id: int):
    slot = _slot(request, slot_id)
    pdf = render_pdf(register_html(slot))
    filename = f"pointage-{slugify(slot.activity.name)}-{slot.date:%Y-%m-%d}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    response["Cache-Control"] += ", private"
    return response
