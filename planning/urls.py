"""Parent-side URLs of the planning app, mounted at the site root (full paths).

The whole list is gated by the "planning" module (pre-enrolments by the "enrolment" module):
when a collectivity switches a module off, every one of these URLs answers 404.
"""

from django.urls import path

from portal.modules import Module, gate_patterns

from .views import enrolments, planning, requests

app_name = "planning"

# The parent's planning (month, weeks, day), a slot's page and the iCalendar feed.
planning_patterns = [
    path("famille/planning/", planning.planning_index, name="index"),
    path(
        "famille/planning/creneau/<int:slot_id>/<int:child_id>/",
        planning.slot_detail,
        name="slot",
    ),
    path("famille/planning/agenda/", planning.calendar_settings, name="calendar"),
    path("agenda/<str:token>.ics", planning.calendar_feed, name="feed"),
]

# Reservation and absence requests, and the answer to a place offered from a waiting list.
request_patterns = [
    path("famille/planning/liste/", requests.requests_list, name="list"),
    path(
        "famille/planning/demande/<int:slot_id>/<int:child_id>/<str:kind>/",
        requests.request_day,
        name="request_day",
    ),
    path("famille/planning/demande/<str:kind>/", requests.request_period, name="request_period"),
    path("famille/planning/demandes/<int:pk>/", requests.request_detail, name="request_detail"),
    path(
        "famille/planning/demandes/<int:pk>/annuler/",
        requests.request_cancel,
        name="request_cancel",
    ),
    path(
        "famille/planning/place-proposee/<int:booking_id>/",
        requests.offer_respond,
        name="offer_respond",
    ),
]

# Pre-enrolments.
enrolment_patterns = [
    path("famille/pre-inscriptions/", enrolments.enrolments, name="enrolments"),
    path("famille/pre-inscriptions/demander/", enrolments.enrolment_new, name="enrolment_new"),
    path(
        "famille/pre-inscriptions/<int:pk>/annuler/",
        enrolments.enrolment_cancel_view,
        name="enrolment_cancel",
    ),
]

urlpatterns = [
    *gate_patterns(Module.PLANNING, planning_patterns),
    *gate_patterns(Module.PLANNING, request_patterns),
    *gate_patterns(Module.ENROLMENT, enrolment_patterns),
]
