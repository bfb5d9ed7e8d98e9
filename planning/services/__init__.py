"""Writes of the planning app: every change of a booking, a request, an enrolment, a slot,
an attendance mark or a calendar feed goes through one of these functions.

Callers import them from here (``from planning.services import request_submit``); each
raises ``PlanningError`` (French message) when it refuses, and then nothing was changed.
"""

from .activities import activity_delete, activity_save, closure_add, closure_remove
from .attendance import attendance_mark
from .bookings import (
    bookings_by_pair,
    offer_accept,
    offer_decline,
    offers_expire,
    promote,
    release,
    reserve,
    set_pending,
)
from .enrolments import (
    creation_choices,
    enrolment_accept,
    enrolment_cancel,
    enrolment_create,
    enrolment_refuse,
    enrolment_request,
    enrolments_decide_bulk,
)
from .ical import calendar_feed_for_family, calendar_feed_regenerate
from .preview import day_option, one_day, request_preview
from .requests import (
    request_accept,
    request_cancel,
    request_refuse,
    request_status_refresh,
    request_submit,
    requests_decide_bulk,
)
from .slots import slots_generate

__all__ = [
    "activity_delete",
    "activity_save",
    "closure_add",
    "closure_remove",
    "attendance_mark",
    "bookings_by_pair",
    "calendar_feed_for_family",
    "calendar_feed_regenerate",
    "creation_choices",
    "day_option",
    "enrolment_accept",
    "enrolment_cancel",
    "enrolment_create",
    "enrolment_refuse",
    "enrolment_request",
    "enrolments_decide_bulk",
    "offer_accept",
    "one_day",
    "offer_decline",
    "offers_expire",
    "promote",
    "release",
    "request_accept",
    "request_cancel",
    "request_preview",
    "request_refuse",
    "request_status_refresh",
    "request_submit",
    "requests_decide_bulk",
    "reserve",
    "set_pending",
    "slots_generate",
]
