"""The parent's « Planning des activités »: month, 7-day week, 5-day week and day views with
filters and legend, the page of one slot (its history and the single-day action) and the
private iCalendar feed.

Views parse the query string and render; the cells come from ``planning.selectors``. Every row
is reached through ``request.scope``: children with ``scope.parent``, activities and slots
only inside the request's collectivity (and only those the children are enrolled in).
"""

from __future__ import annotations

import calendar
import datetime
import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from family.decorators import family_required, no_family_page
from family.models import Child, Family
from portal.formats import date_long, time_fr
from portal.modules import enabled_modules

from .. import grid_cache
from ..models import Booking, Slot
from ..selectors.ical import FEED_PAST_DAYS, feed_find, feed_render
from ..selectors.planning import (
    STATE_LEGEND,
    child_cell,
    child_colour_class,
    planning_choices,
    planning_families,
    planning_grid_cells,
    planning_slot_rows,
    slot_history,
)
from ..services import calendar_feed_for_family, calendar_feed_regenerate
from .requests import day_action_context
from .returns import planning_return_url, with_return

MONTH = "mois"
WEEK = "semaine"
WEEK5 = "semaine5"
DAY = "jour"
VIEWS = {
    MONTH: gettext_lazy("Mois"),
    WEEK: gettext_lazy("Semaine (7 jours)"),
    WEEK5: gettext_lazy("Semaine (5 jours)"),
    DAY: gettext_lazy("Jour"),
}
# On narrow screens the week views read « 7 jours », « 5 jours »: the rest of the label is only
# hidden from sight (static/css/planning.css); the link's accessible name stays the whole label.
VIEW_SHORT_PARTS = {
    WEEK: (gettext_lazy("Semaine ("), gettext_lazy("7 jours"), ")"),
    WEEK5: (gettext_lazy("Semaine ("), gettext_lazy("5 jours"), ")"),
}
ONE_DAY = datetime.timedelta(days=1)
# Placeholders reversed once, then replaced by each cell's ids.
SLOT_MARK, CHILD_MARK = 987654321, 987654322


@dataclass
class Period:
    view: str
    anchor: datetime.date
    start: datetime.date
    end: datetime.date
    previous: datetime.date
    next: datetime.date

    @property
    def days(self) -> list[datetime.date]:
        return [self.start + ONE_DAY * n for n in range((self.end - self.start).days + 1)]


def period_for(view: str, anchor: datetime.date) -> Period:
    if view == MONTH:
        start = anchor.replace(day=1)
        end = anchor.replace(day=calendar.monthrange(anchor.year, anchor.month)[1])
        previous = (start - ONE_DAY).replace(day=1)
        following = end + ONE_DAY
        return Period(view, anchor, start, end, previous, following)
    if view in (WEEK, WEEK5):
        start = anchor - datetime.timedelta(days=anchor.weekday())
        end = start + datetime.timedelta(days=6 if view == WEEK else 4)
        week = datetime.timedelta(days=7)
        return Period(view, anchor, start, end, start - week, start + week)
    return Period(view, anchor, anchor, anchor, anchor - ONE_DAY, anchor + ONE_DAY)


def _school_year(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """1 September – 31 August around ``day``: the window of the activity filter."""
    first_year = day.year if day.month >= 9 else day.year - 1
    return datetime.date(first_year, 9, 1), datetime.date(first_year + 1, 8, 31)


def _int_list(values) -> list[int]:
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    return ids


def _period_title(period: Period) -> str:
    if period.view == MONTH:
        return formats.date_format(period.start, "F Y").capitalize()
    if period.view == DAY:
        return date_long(period.start, capitalise=True)
    return _("Semaine du %(start)s au %(end)s") % {
        "start": formats.date_format(period.start, "j F"),
        "end": formats.date_format(period.end, "j F Y"),
    }


NAV_LABELS = {
    MONTH: (gettext_lazy("Mois précédent"), gettext_lazy("Mois suivant")),
    WEEK: (gettext_lazy("Semaine précédente"), gettext_lazy("Semaine suivante")),
    WEEK5: (gettext_lazy("Semaine précédente"), gettext_lazy("Semaine suivante")),
    DAY: (gettext_lazy("Jour précédent"), gettext_lazy("Jour suivant")),
}


class PlanningQuery:
    """The planning's GET parameters: view, date and the filters (children, activities)."""

    def __init__(self, *, view, anchor, child_ids, activity_ids, all_children, all_activities):
        self.view = view
        self.anchor = anchor
        self.child_ids = child_ids
        self.activity_ids = activity_ids
        self.all_children = all_children
        self.all_activities = all_activities

    def url(self, *, view=None, anchor=None) -> str:
        params = [("vue", view or self.view), ("date", (anchor or self.anchor).isoformat())]
        if not (self.all_children and self.all_activities):
            params.append(("filtre", "1"))
            params += [("enfant", pk) for pk in self.child_ids]
            params += [("activite", pk) for pk in self.activity_ids]
        return f"{reverse('planning:index')}?{urlencode(params)}"


@functools.cache
def _state_icons() -> dict[str, str]:
    """The drawing of each state, rendered once per process: ``_state_icon.html`` depends on
    nothing but the code (no language, no request)."""
    return {
        code: mark_safe(render_to_string("planning/_state_icon.html", {"code": code}))  # noqa: S308 -- our template's output
        for code in STATE_LEGEND
    }


# How far from today the planning may be shown (ten years either way).
ANCHOR_RANGE_DAYS = 3653


def _view_and_anchor(request, today: datetime.date) -> tuple[str, datetime.date]:
    """The « vue » and « date » parameters; a wrong one is told and replaced."""
    view = request.GET.get("vue") or MONTH
    if view not in VIEWS:
        messages.error(request, _("Cet affichage n’existe pas ; le planning est affiché par mois."))
        view = MONTH
    anchor = today
    if request.GET.get("date"):
        try:
            anchor = datetime.date.fromisoformat(request.GET["date"])
        except ValueError:
            messages.error(
                request, _("La date indiquée n’est pas valide ; le planning affiche aujourd’hui.")
            )
        if abs((anchor - today).days) > ANCHOR_RANGE_DAYS:
            # Year 1 or 9999 overflowed the period's arithmetic (a 500).
            messages.error(
                request,
                _("Cette date est trop éloignée ; le planning affiche aujourd’hui."),
            )
            anchor = today
    return view, anchor


class PlanningFilter:
    """« Filtrer » as asked (``filtre=1`` and the ids ticked), before it meets the children and
    activities of the account: what the cached grid's key holds of the filters."""

    def __init__(self, request):
        self.on = request.GET.get("filtre") == "1"
        self.child_ids = frozenset(_int_list(request.GET.getlist("enfant"))) if self.on else None
        self.activity_ids = (
            frozenset(_int_list(request.GET.getlist("activite"))) if self.on else None
        )

    def key(self) -> str:
        if not self.on:
            return "all"
        return "sk{}|sa{}".format(
            ",".join(map(str, sorted(self.child_ids))),
            ",".join(map(str, sorted(self.activity_ids))),
        )


def _planning_query(*, view, anchor, wanted: PlanningFilter, children, activities) -> PlanningQuery:
    """The children and activities shown: all, or those of « Filtrer » (``filtre=1``)."""
    child_pks = [child.pk for child in children]
    activity_pks = [activity.pk for activity in activities]
    if wanted.on:
        shown_children = [pk for pk in child_pks if pk in wanted.child_ids]
        shown_activities = [pk for pk in activity_pks if pk in wanted.activity_ids]
    else:
        shown_children, shown_activities = child_pks, activity_pks
    return PlanningQuery(
        view=view,
        anchor=anchor,
        child_ids=shown_children,
        activity_ids=shown_activities,
        all_children=len(shown_children) == len(child_pks),
        all_activities=len(shown_activities) == len(activity_pks),
    )


def _cells_by_day(cells, *, colours, query) -> dict[datetime.date, list]:
    """The display cells per day, each with its two copies of HTML (``_SlotHtml``); those
    filtered out are ``hidden`` (still rendered, so that the switches can show them again at
    once, or after « Filtrer »)."""
    shown_children, shown_activities = set(query.child_ids), set(query.activity_ids)
    by_day: dict[datetime.date, list] = {}
    slot_html = _SlotHtml(colours=colours, return_url=query.url())
    for cell in cells:
        cell.hidden = not (
            cell.child.pk in shown_children and cell.slot.activity_id in shown_activities
        )
        cell.html, cell.agenda_html = slot_html(cell)
        by_day.setdefault(cell.date, []).append(cell)
    return by_day


class _SlotHtml:
    """One slot of the planning with its tooltip, twice: the grid's copy and the agenda's
    (narrow screens), whose tooltip ids differ. Built here rather than by a template included
    once per cell and copy (a month of 3 children is ~250 includes), and from parts written
    once a page: a month repeats the same few children, activities, times, dates and states.

    Every value goes through ``escape``; the icon is the trusted drawing of
    ``_state_icon.html``; the ids are made of numbers. ``return_url``: the planning as shown,
    which the slot page and its request come back to."""

    def __init__(self, *, colours: dict[int, str], return_url: str | None):
        self.colours = colours
        pattern = with_return(reverse("planning:slot", args=[SLOT_MARK, CHILD_MARK]), return_url)
        # The ids are digits, which escaping leaves alone: the pattern is escaped once.
        self.url_pattern = escape(pattern)
        self.icons = _state_icons()
        self.names = _DayNames()
        # Each part once a page, by what it is made of.
        self.children: dict[int, tuple[str, str]] = {}
        self.activities: dict[int, tuple[str, str]] = {}
        self.times: dict[tuple[datetime.time, datetime.time], str] = {}
        self.states: dict[tuple[str, str], tuple[str, str, str]] = {}
        self.dates: dict[datetime.date, str] = {}

    def _child(self, child) -> tuple[str, str]:
        colour = escape(self.colours[child.pk])
        found = self.children[child.pk] = (
            f'{colour}" data-cell data-child="{child.pk}" data-activity="',
            f'"><span class="slot__child">{escape(child.first_name)}</span>',
        )
        return found

    def _activity(self, activity) -> tuple[str, str]:
        name = escape(activity.name)
        found = self.activities[activity.pk] = (
            name,
            f'<span class="slot__activity">{name}</span>',
        )
        return found

    def _time(self, slot) -> str:
        start, end = time_fr(slot.start_time), time_fr(slot.end_time)
        spoken = _("de %(start)s à %(end)s") % {"start": start, "end": end}
        found = self.times[slot.start_time, slot.end_time] = (
            f'<span class="slot__time"><span aria-hidden="true">{escape(start)}–{escape(end)}'
            f'</span><span class="visually-hidden">{escape(spoken)}</span></span>'
        )
        return found

    def _state(self, cell) -> tuple[str, str, str]:
        label = escape(cell.label)
        found = self.states[cell.state, cell.label] = (
            f'<li class="slot {escape(cell.css_class)} ',
            f'<span class="slot__state">{self.icons[cell.state]} {label}</span></a>'
            '<span class="slot__tooltip" role="tooltip" id="',
            label,
        )
        return found

    def _date(self, day) -> str:
        found = self.dates[day] = escape(self.names.date_long(day))
        return found

    def __call__(self, cell) -> tuple[str, str]:
        slot, child, activity = cell.slot, cell.child, cell.activity
        child_opening, child_name = self.children.get(child.pk) or self._child(child)
        activity_name, activity_html = self.activities.get(slot.activity_id) or self._activity(
            activity
        )
        time_html = self.times.get((slot.start_time, slot.end_time)) or self._time(slot)
        opening, state_html, label = self.states.get((cell.state, cell.label)) or self._state(cell)
        long_date = self.dates.get(cell.date) or self._date(cell.date)
        url = self.url_pattern.replace(str(SLOT_MARK), str(slot.pk)).replace(
            str(CHILD_MARK), str(child.pk)
        )
        start = (
            f'{opening}{child_opening}{slot.activity_id}"{" hidden" if cell.hidden else ""}>'
            f'<a class="slot__link" href="{url}" data-return aria-describedby="'
        )
        body = f"{child_name}{activity_html}{time_html}{state_html}"
        tooltip = f'">{activity_name} — {long_date} — {label}</span></li>'
        grid = f"infobulle-{slot.pk}-{child.pk}"
        agenda = f"agenda-{grid}"
        # Escaped above; SafeString itself rather than mark_safe, whose wrapper (a check for
        # lazy arguments) cost more than the string here, twice per cell.
        return (
            SafeString(f"{start}{grid}{body}{grid}{tooltip}"),
            SafeString(f"{start}{agenda}{body}{agenda}{tooltip}"),
        )


class _DayNames:
    """The weekdays' and the months' names as Django writes them (``date_format``), looked up
    once a page instead of a whole format once per day and copy."""

    def __init__(self):
        self.names: dict[tuple[str, int], str] = {}

    def name(self, code: str, day: datetime.date) -> str:
        """``date_format(day, code)`` for a code of one name: « l », « D » (the weekday), « F »
        (the month)."""
        index = day.month if code == "F" else day.weekday()
        found = self.names.get((code, index))
        if found is None:
            found = self.names[code, index] = formats.date_format(day, code)
        return found

    def day_month(self, day: datetime.date) -> str:
        """« l j F »: « jeudi 10 décembre »."""
        return f"{self.name('l', day)} {day.day} {self.name('F', day)}"

    def date_long(self, day: datetime.date) -> str:
        """``portal.formats.date_long``: « l j F Y » with « 1er » for the first of the
        month."""
        number = "1er" if day.day == 1 else day.day
        return f"{self.name('l', day)} {number} {self.name('F', day)} {day.year}"


def _calendar_days(period: Period, by_day, today) -> tuple[list[list[dict]], list[dict]]:
    """(weeks of the month grid, Monday to Sunday — empty unless the view is a month; the
    period's days)."""

    names = _DayNames()
    today_text = escape(_("aujourd’hui"))

    def day_info(day, *, in_period=True, grid=False):
        day_cells = by_day.get(day, []) if in_period else []
        info = {
            "date": day,
            "number": day.day,
            "long": names.day_month(day),
            "in_period": in_period,
            "is_today": day == today,
            "cells": day_cells,
            "visible": sum(1 for cell in day_cells if not cell.hidden),
        }
        if grid:  # a cell of the grid the page shows (the month's weeks, or a week's days)
            info["html"] = _day_cell_html(info, today_text)
        return info

    weeks = []
    if period.view == MONTH:
        grid_start = period.start - datetime.timedelta(days=period.start.weekday())
        grid_end = period.end + datetime.timedelta(days=6 - period.end.weekday())
        day, week = grid_start, []
        while day <= grid_end:
            week.append(day_info(day, in_period=period.start <= day <= period.end, grid=True))
            if len(week) == 7:
                weeks.append(week)
                week = []
            day += ONE_DAY
    in_week = period.view in (WEEK, WEEK5)
    return weeks, [day_info(day, grid=in_week) for day in period.days]


@functools.lru_cache(maxsize=32)
def _month_headers(language: str) -> str:
    """The month grid's column headers, Monday to Sunday: each weekday's short and whole
    name, once a process and language."""
    names = _DayNames()
    monday = datetime.date(2024, 1, 1)
    with translation.override(language):
        return "".join(
            f'<th scope="col"><span aria-hidden="true">{escape(names.name("D", day))}</span>'
            f'<span class="visually-hidden">{escape(names.name("l", day))}</span></th>'
            for day in (monday + ONE_DAY * n for n in range(7))
        )


def _month_html(period_title: str, weeks: list[list[dict]]) -> str:
    """The month grid (a table of weeks, with a caption and the weekdays' headers), built
    here as its days are (``_day_cell_html``) rather than by a template (it was
    ``_planning_month.html``; the output is the same, byte for byte)."""
    caption = _("Planning du mois : %(title)s") % {"title": escape(period_title)}
    rows = "".join(
        "\n    <tr>\n      "
        + "".join(f"\n      {day['html']}\n      " for day in week)
        + "\n    </tr>\n    "
        for week in weeks
    )
    return SafeString(  # escaped above and in _day_cell_html
        '<div class="planning-grid-wrap">\n'
        '<table class="planning-grid planning-grid--month" aria-describedby="planning-periode">\n'
        f'  <caption class="visually-hidden">{caption}</caption>\n'
        "  <thead>\n    <tr>\n      "
        f"{_month_headers(translation.get_language())}\n"
        "    </tr>\n  </thead>\n  <tbody>\n    "
        f"{rows}\n  </tbody>\n</table>\n</div>\n"
    )


def _legend() -> list[dict]:
    """The legend's entries with their drawings (``_state_icons``: rendered once a process
    rather than included once per entry)."""
    icons = _state_icons()
    return [
        {"css_class": entry.css_class, "label": entry.label, "icon": icons[entry.code]}
        for entry in STATE_LEGEND.values()
    ]


_FRAGMENTS = {
    "planning/breadcrumb.html": lambda: {"current": _("Planning des activités")},
    "planning/_legend.html": lambda: {"legend": _legend()},
}


@functools.lru_cache(maxsize=32)
def _fragment(name: str, language: str) -> str:
    """A part of the planning's page that depends on the language only (``_FRAGMENTS``: the
    breadcrumb, the legend), rendered once a process and language rather than at each miss."""
    with translation.override(language):
        return mark_safe(render_to_string(name, _FRAGMENTS[name]()))  # noqa: S308 -- our template's output


def _day_marks(day: dict, today_text: str, *, classes: str, today_class: str):
    """What a grid day and an agenda day share: (the class attribute, ``aria-current``, the
    « aujourd'hui » mark)."""
    if day["is_today"]:
        classes += f" {today_class}"
    if not day["visible"]:
        classes += " planning-day--empty"
    current = ' aria-current="date"' if day["is_today"] else ""
    today = f' <span class="planning-day__today">{today_text}</span>' if day["is_today"] else ""
    return classes, current, today


def _day_cell_html(day: dict, today_text: str) -> str:
    """One day of the month or week grid, with its slots: what the template
    ``_planning_day_cell.html`` printed (byte for byte), built here rather than included once
    per day (a month grid has 35 to 42 days). ``day.long`` is escaped; the slots are
    ``_slot_html``'s."""
    outside = "" if day["in_period"] else " planning-day--outside"
    classes, current, today = _day_marks(
        day, today_text, classes="planning-day" + outside, today_class="planning-day--today"
    )
    slots = ""
    if day["cells"]:
        slots = (
            '\n  <ul class="slots">\n    '
            + "".join(cell.html for cell in day["cells"])
            + "\n  </ul>\n  "
        )
    return SafeString(  # escaped above (SafeString: see _SlotHtml.__call__)
        f'<td class="{classes}"{current} data-day>\n'
        f'  <span class="planning-day__date"><span class="planning-day__short" aria-hidden="true">'
        f'{day["number"]}</span><span class="planning-day__long">{escape(day["long"])}</span>'
        f"{today}</span>\n  {slots}\n</td>\n"
    )


def _agenda_day_html(day: dict, today_text: str) -> str:
    """One day of the agenda (narrow screens) with its slots: what the template
    ``_agenda_day.html`` printed (byte for byte), built here for the same reason as
    ``_day_cell_html``."""
    classes, current, today = _day_marks(
        day, today_text, classes="agenda__day", today_class="agenda__day--today"
    )
    return SafeString(  # escaped above (SafeString: see _SlotHtml.__call__)
        f'<li class="{classes}"{current} data-day>\n'
        f'  <h3 class="agenda__date">{escape(capfirst(day["long"]))}{today}</h3>\n'
        '  <ul class="slots">\n    '
        + "".join(cell.agenda_html for cell in day["cells"])
        + "\n  </ul>\n</li>\n"
    )


def _agenda(days: list[dict], today) -> str:
    """The period as an agenda (narrow screens): only the days with slots, today and the
    days after it first, then the period's earlier days. Built here as its days are (it was
    the template ``_planning_agenda.html``; the output is the same, byte for byte)."""
    with_slots = [day for day in days if day["cells"]]
    today_text = escape(_("aujourd’hui"))
    upcoming = "".join(
        _agenda_day_html(day, today_text) for day in with_slots if day["date"] >= today
    )
    past = "".join(_agenda_day_html(day, today_text) for day in with_slots if day["date"] < today)
    html = '<div class="planning-agenda" data-agenda>\n  '
    if upcoming:
        html += f'\n  <ol class="agenda">\n    {upcoming}\n  </ol>\n  '
    html += "\n  "
    if past:
        title = _("Plus tôt dans la période") if upcoming else _("Jours passés")
        html += (
            f'\n  <p class="agenda__past-title" data-agenda-past>{escape(title)}</p>\n'
            f'  <ol class="agenda agenda--past">\n    {past}\n  </ol>\n  '
        )
    hidden = " hidden" if any(day["visible"] for day in with_slots) else ""
    empty = escape(_("Aucune activité affichée sur cette période."))
    html += (
        f'\n  <p class="planning-dayview__empty" data-empty-agenda{hidden}>{empty}</p>\n</div>\n'
    )
    return SafeString(html)  # escaped above and in _agenda_day_html


def _toolbar_html(query: PlanningQuery, period: Period, today) -> str:
    """The period's navigation (previous, today, next) and the views' links, built here as
    the grid is (it was the template ``_planning_toolbar.html``; the output is the same, byte
    for byte)."""
    previous_label, next_label = NAV_LABELS[query.view]
    button = '<li><a class="button button--secondary" href="'
    links = ""
    for code, label in VIEWS.items():
        current = ' aria-current="page"' if code == query.view else ""
        parts = VIEW_SHORT_PARTS.get(code)
        if parts:
            prefix, short, suffix = (escape(part) for part in parts)
            label_html = (
                f'<span class="planning-views__long">{prefix}</span>{short}'
                f'<span class="planning-views__long">{suffix}</span>'
            )
        else:
            label_html = escape(label)
        links += (
            f'\n      <li><a href="{escape(query.url(view=code))}" data-keep-filters{current}>'
            f"{label_html}</a></li>\n      "
        )
    return SafeString(  # escaped here
        '<div class="planning-toolbar">\n'
        f'  <nav class="planning-nav" aria-label="{escape(_("Période affichée"))}">\n'
        "    <ul>\n"
        f'      {button}{escape(query.url(anchor=period.previous))}" data-keep-filters>'
        '<span aria-hidden="true">‹ </span>'
        f'<span class="planning-nav__label">{escape(previous_label)}</span></a></li>\n'
        f'      {button}{escape(query.url(anchor=today))}" data-keep-filters>'
        f"{escape(_('Aujourd’hui'))}</a></li>\n"
        f'      {button}{escape(query.url(anchor=period.next))}" data-keep-filters>'
        f'<span class="planning-nav__label">{escape(next_label)}</span>'
        '<span aria-hidden="true"> ›</span></a></li>\n'
        "    </ul>\n  </nav>\n"
        f'  <nav class="planning-views" aria-label="{escape(_("Affichage du planning"))}">\n'
        f"    <ul>\n      {links}\n"
        f'      <li><a href="{escape(reverse("planning:list"))}">{escape(_("Liste"))}</a></li>\n'
        "    </ul>\n  </nav>\n</div>\n"
    )


def _switch_html(kind: str, name: str, pk: int, shown: bool, label_html: str) -> str:
    checked = " checked" if shown else ""
    return (
        '\n      <div class="switch">\n'
        f'        <input type="checkbox" role="switch" id="filtre-{name}-{pk}" name="{name}" '
        f'value="{pk}" data-filter="{kind}"{checked}>\n'
        f'        <label for="filtre-{name}-{pk}">{label_html}</label>\n'
        "      </div>\n      "
    )


def _filters_html(*, query: PlanningQuery, period: Period, children, activities, colours) -> str:
    """« Filtres »: the children's and the activities' switches and « Filtrer », built here
    as the grid is (it was the template ``_planning_filters.html``; the output is the same,
    byte for byte)."""
    shown_children, shown_activities = set(query.child_ids), set(query.activity_ids)
    child_switches = "".join(
        _switch_html(
            "child",
            "enfant",
            child.pk,
            child.pk in shown_children,
            f'<span class="child-chip {escape(colours[child.pk])}" aria-hidden="true"></span>'
            f"{escape(child.first_name)}",
        )
        for child in children
    )
    activity_part = ""
    if activities:
        switches = "".join(
            _switch_html(
                "activity",
                "activite",
                activity.pk,
                activity.pk in shown_activities,
                escape(activity.name),
            )
            for activity in activities
        )
        activity_part = (
            "\n    <fieldset>\n"
            f"      <legend>{escape(_('Activités affichées'))}</legend>\n      {switches}\n"
            "    </fieldset>\n    "
        )
    return SafeString(  # escaped here
        '<section class="planning-filters" aria-labelledby="planning-filtres">\n'
        f'  <h2 id="planning-filtres">{escape(_("Filtres"))}</h2>\n'
        f'  <form method="get" action="{escape(reverse("planning:index"))}" '
        "data-planning-filters>\n"
        f'    <input type="hidden" name="vue" value="{escape(query.view)}">\n'
        f'    <input type="hidden" name="date" value="{period.anchor.isoformat()}">\n'
        '    <input type="hidden" name="filtre" value="1">\n'
        "    <fieldset>\n"
        f"      <legend>{escape(_('Enfants affichés'))}</legend>\n      {child_switches}\n"
        f"    </fieldset>\n    {activity_part}\n"
        '    <button type="submit" class="button--secondary" data-filter-submit>'
        f"{escape(_('Filtrer'))}</button>\n"
        "  </form>\n</section>\n"
    )


@require_GET
@login_required
def planning_index(request):
    """« Planning des activités »: the cells of the children's enrolled activities.

    The planning's part of the page comes from the cache when nothing it shows has changed
    (``planning.grid_cache``: versions, filters, today, deadlines); the frame around it
    (messages, CSRF token, menus) is rendered for each request. A hit runs one query (the
    account's families, the entry's activities and its waiting lists, as plain rows), never
    the children or the activities as models. A miss checks that the account has families
    here (``no_family_page`` otherwise) as ``family_required`` would."""
    scope = request.scope
    today = timezone.localdate()
    view, anchor = _view_and_anchor(request, today)
    period = period_for(view, anchor)
    wanted = PlanningFilter(request)
    collectivity = request.collectivity
    modules = enabled_modules(collectivity)
    key = grid_cache.grid_key(
        collectivity_id=collectivity.pk,
        account_id=request.user.pk,
        params=f"v{view}|d{anchor.isoformat()}|{wanted.key()}",
        today=today,
        modules=modules,
    )
    now = timezone.now()
    reading = grid_cache.entry_read(scope, key, now=now)
    entry, positions = reading.entry, reading.positions
    if entry is None:
        families = planning_families(scope) if reading.families is None else reading.families
        if not families:
            return no_family_page(request)
        roster = _roster(scope, reading, families=families, period=period)
        query = _planning_query(
            view=view,
            anchor=anchor,
            wanted=wanted,
            children=roster["children"],
            activities=roster["activities"],
        )
        entry, positions = _planning_entry(
            roster=roster, query=query, period=period, today=today, modules=modules, now=now
        )
        entry["families"] = grid_cache.row_versions(families)
        entry["roster"] = {**roster, "families": grid_cache.roster_versions(families)}
        grid_cache.entry_set(key, entry, now=now)
    content = (
        grid_cache.with_positions(entry["html"], positions) if entry["waiting"] else entry["html"]
    )
    return render(
        request,
        "planning/planning.html",
        {
            "planning_content": mark_safe(content),  # noqa: S308 -- rendered by our template
            "period_title": entry["title"],
        },
    )


def _roster(scope, reading, *, families, period) -> dict:
    """The children, the activities and their slot rows the planning is computed from: the
    stale entry's when only bookings or requests were written since it was stored
    (``grid_cache.entry_current`` says so), else read (three queries)."""
    if reading.roster is not None:
        return reading.roster
    children, activities = planning_choices(
        scope,
        school_year=_school_year(period.start),
        family_ids=[row[0] for row in families],
    )
    slots = planning_slot_rows(
        children=children, activities=activities, start=period.start, end=period.end
    )
    return {"children": children, "activities": activities, "slots": slots}


def _planning_entry(*, roster, query, period, today, modules, now):
    """Compute and render the planning's part of the page: (the cache entry, the waiting-list
    positions of its WAITING cells)."""
    children, activities = roster["children"], roster["activities"]
    cells = planning_grid_cells(
        children=children,
        activities=activities,
        start=period.start,
        end=period.end,
        slot_rows=roster["slots"],
    )
    positions, waiting = {}, {}
    for cell in cells:
        if cell.booking_state == Booking.State.WAITING:
            # Another family's move changes it: read again at each request (grid_cache).
            positions[cell.booking_id] = cell.position
            waiting[cell.booking_id] = cell.slot.pk
            cell.label = grid_cache.waiting_mark(cell.booking_id)
    colours = {child.pk: child_colour_class(index) for index, child in enumerate(children)}
    by_day = _cells_by_day(cells, colours=colours, query=query)
    weeks, days = _calendar_days(period, by_day, today)
    view = query.view
    period_title = _period_title(period)
    context = {
        "view": view,
        "period": period,
        "period_title": period_title,
        "today": today,
        "weeks": weeks,
        "days": days,
        "agenda_html": _agenda(days, today) if view != DAY else "",
        "month_html": _month_html(period_title, weeks) if view == MONTH else "",
        "cell_count": sum(1 for cell in cells if not cell.hidden),
        "filters_html": _filters_html(
            query=query, period=period, children=children, activities=activities, colours=colours
        ),
        "activities": bool(activities),
        "legend_html": _fragment("planning/_legend.html", translation.get_language()),
        "breadcrumb_html": _fragment("planning/breadcrumb.html", translation.get_language()),
        "query": query,
        "modules": modules,
        "reservation_url": with_return(
            reverse("planning:request_period", args=["reservation"]), query.url()
        ),
        "absence_url": with_return(
            reverse("planning:request_period", args=["absence"]), query.url()
        ),
        "toolbar_html": _toolbar_html(query, period, today),
    }
    entry = {
        "html": render_to_string("planning/_planning_content.html", context),
        "title": period_title,
        "waiting": waiting,
        "valid_until": grid_cache.valid_until(cells, now=now),
        "activities": grid_cache.row_versions(activities),
    }
    return entry, positions


@require_GET
@family_required
def slot_detail(request, slot_id: int, child_id: int):
    """One child on one slot: activity, date, time, place, state, « Historique du créneau »
    and the single-day request the parent may make."""
    child = get_object_or_404(request.scope.parent(Child).select_related("family"), pk=child_id)
    slot = get_object_or_404(
        request.scope.rows(Slot).select_related("activity"),
        pk=slot_id,
    )
    cell = child_cell(child=child, slot=slot)
    history = slot_history(child=child, slot=slot)
    if cell is None and not history.entries:
        # Neither enrolled that day nor any request or booking: nothing of this family here.
        raise Http404(_("Ce créneau ne concerne pas cet enfant."))
    # Back to the planning as the parent left it (checked), else the slot's week.
    return_url = planning_return_url(request.GET.get("retour"))
    back_url = return_url or (
        f"{reverse('planning:index')}?{urlencode({'vue': WEEK, 'date': slot.date.isoformat()})}"
    )
    context = {
        # option (planning.services.day_option), slot, child, submission_key
        **day_action_context(family=child.family, child=child, slot=slot, now=None),
        "return_url": return_url,
        "activity": slot.activity,
        "cell": cell,
        "history": history,
        "back_url": back_url,
    }
    return render(request, "planning/slot.html", context)


# --- iCalendar ------------------------------------------------------------------------------


def _feed_url(request, feed) -> str:
    return request.build_absolute_uri(reverse("planning:feed", args=[feed.token]))


@require_http_methods(["GET", "POST"])
@family_required
def calendar_settings(request):
    """« S’abonner à l’agenda »: each family's private address and its regeneration."""
    families = list(request.scope.families.order_by("name", "pk"))
    if request.method == "POST":
        family = _family_from_post(request, families)
        calendar_feed_regenerate(family=family)
        messages.success(
            request,
            _(
                "Une nouvelle adresse a été générée pour la famille %(name)s ; l’ancienne ne "
                "fonctionne plus."
            )
            % {"name": family.name},
        )
        return redirect("planning:calendar")
    feeds = []
    for family in families:
        feed = calendar_feed_for_family(family=family)
        url = _feed_url(request, feed)
        scheme, _sep, rest = url.partition("://")
        feeds.append({"family": family, "feed": feed, "url": url, "webcal_url": f"webcal://{rest}"})
    return render(
        request,
        "planning/calendar.html",
        {"feeds": feeds, "past_days": FEED_PAST_DAYS},
    )


def _family_from_post(request, families: list[Family]) -> Family:
    try:
        pk = int(request.POST.get("famille", ""))
    except ValueError:
        pk = None
    if pk is None and len(families) == 1:
        return families[0]
    for family in families:
        if family.pk == pk:
            return family
    raise Http404(_("Famille inconnue."))


@require_GET
def calendar_feed(request, token: str):
    """The private iCalendar feed: no session, the token is the key (scoped to the host)."""
    feed = feed_find(collectivity=getattr(request, "collectivity", None), token=token)
    if feed is None:
        raise Http404(_("Cette adresse d’agenda n’existe pas ou n’est plus valable."))
    body = feed_render(feed=feed, host=request.get_host().partition(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="planning.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
