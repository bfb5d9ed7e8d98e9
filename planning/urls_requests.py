"""Parent-side URLs of reservation and absence requests (included by planning/urls.py, gated
by the "planning" module)."""

from django.urls import path

from . import request_views

urlpatterns = [
    path("famille/planning/liste/", request_views.requests_list, name="list"),
    path(
        "famille/planning/demande/<int:slot_id>/<int:child_id>/<str:kind>/",
        request_views.request_day,
        name="request_day",
    ),
    path(
        "famille/planning/demande/<str:kind>/",
        request_views.request_period,
        name="request_period",
    ),
    path(
        "famille/planning/demandes/<int:pk>/",
        request_views.request_detail,
        name="request_detail",
    ),
    path(
        "famille/planning/demandes/<int:pk>/annuler/",
        request_views.request_cancel,
        name="request_cancel",
    ),
    path(
        "famille/planning/place-proposee/<int:booking_id>/",
        request_views.offer_respond,
        name="offer_respond",
    ),
]
