"""Back-office URLs of enrolments (namespace ``planning_admin``)."""

from django.urls import path

from . import admin_enrolments as views

urlpatterns = [
    path("pre-inscriptions/", views.enrolments_queue, name="enrolments"),
    path("pre-inscriptions/selection/", views.enrolments_bulk, name="enrolments_bulk"),
    path("pre-inscriptions/inscrire/", views.enrolment_direct, name="enrolment_create"),
    path("pre-inscriptions/<int:pk>/", views.enrolment_detail, name="enrolment_detail"),
    path(
        "pre-inscriptions/<int:pk>/accepter/",
        views.enrolment_accept_view,
        name="enrolment_accept",
    ),
    path(
        "pre-inscriptions/<int:pk>/refuser/",
        views.enrolment_refuse_view,
        name="enrolment_refuse",
    ),
]
