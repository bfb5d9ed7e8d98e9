"""The parent's planning (month, weeks, day), a slot's page and the iCalendar feed (H3)."""

from django.urls import path

from . import views

urlpatterns = [
    path("famille/planning/", views.planning_index, name="index"),
    path(
        "famille/planning/creneau/<int:slot_id>/<int:child_id>/",
        views.slot_detail,
        name="slot",
    ),
    path("famille/planning/agenda/", views.calendar_settings, name="calendar"),
    path("agenda/<str:token>.ics", views.calendar_feed, name="feed"),
]
