"""Reads of the planning app: the parent's planning cells and legend, a slot's history, a
request's history and lists, the iCalendar feed. No function here writes."""

from .planning import (
    ABSENT,
    ABSENT_BILLED,
    BOOKABLE,
    CLOSED,
    PENDING,
    RESERVED,
    STATE_LEGEND,
    WAITING,
    activities_for_family,
    booking_state_label,
    child_cell,
    child_colour,
    child_colour_class,
    display_state,
    planning_cells,
    slot_history,
    state_text,
)

__all__ = [
    "ABSENT",
    "ABSENT_BILLED",
    "BOOKABLE",
    "CLOSED",
    "PENDING",
    "RESERVED",
    "STATE_LEGEND",
    "WAITING",
    "activities_for_family",
    "child_cell",
    "child_colour",
    "child_colour_class",
    "booking_state_label",
    "display_state",
    "planning_cells",
    "slot_history",
    "state_text",
]
