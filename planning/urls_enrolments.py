"""Parent URLs of the pre-enrolments (gated by the "enrolment" module in planning/urls.py)."""

from django.urls import path

from . import enrolment_views

urlpatterns = [
    path("famille/pre-inscriptions/", enrolment_views.enrolments, name="enrolments"),
    path("famille/pre-inscriptions/demander/", enrolment_views.enrolment_new, name="enrolment_new"),
    path(
        "famille/pre-inscriptions/<int:pk>/annuler/",
        enrolment_views.enrolment_cancel_view,
        name="enrolment_cancel",
    ),
]
