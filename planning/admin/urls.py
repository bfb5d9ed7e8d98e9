"""Back-office URLs of the planning app, under ``/admin/enfance/`` (namespace
``planning_admin``, registered in ``planning/wagtail_hooks.py``)."""

from django.urls import path

from . import activities, enrolments, requests

urlpatterns = [
    # Activities, occupancy and attendance.
    path("activites/", activities.activities, name="activities"),
    path("activites/ajouter/", activities.activity_add, name="activity_add"),
    path("activites/<int:pk>/", activities.activity_detail, name="activity_detail"),
    path("activites/<int:pk>/modifier/", activities.activity_edit, name="activity_edit"),
    path("activites/<int:pk>/supprimer/", activities.activity_delete, name="activity_delete"),
    path("activites/<int:pk>/creneaux/", activities.activity_generate, name="activity_generate"),
    path(
        "activites/<int:pk>/jours-sans-activite/",
        activities.closure_add,
        name="closure_add",
    ),
    path(
        "activites/<int:pk>/jours-sans-activite/<int:closure_pk>/retirer/",
        activities.closure_delete,
        name="closure_delete",
    ),
    path("occupation/", activities.occupancy, name="occupancy"),
    path("pointage/", activities.attendance, name="attendance"),
    path("pointage/<int:slot_id>/", activities.register, name="register"),
    path("pointage/<int:slot_id>/feuille.pdf", activities.register_pdf, name="register_pdf"),
    # Pre-enrolments.
    path("pre-inscriptions/", enrolments.enrolments_queue, name="enrolments"),
    path("pre-inscriptions/selection/", enrolments.enrolments_bulk, name="enrolments_bulk"),
    path("pre-inscriptions/inscrire/", enrolments.enrolment_direct, name="enrolment_create"),
    path("pre-inscriptions/<int:pk>/", enrolments.enrolment_detail, name="enrolment_detail"),
    path(
        "pre-inscriptions/<int:pk>/accepter/",
        enrolments.enrolment_accept_view,
        name="enrolment_accept",
    ),
    path(
        "pre-inscriptions/<int:pk>/refuser/",
        enrolments.enrolment_refuse_view,
        name="enrolment_refuse",
    ),
    # Reservation and absence requests.
    path("demandes/", requests.requests_queue, name="requests"),
    path("demandes/selection/", requests.requests_bulk, name="requests_bulk"),
    path("demandes/<int:pk>/", requests.request_detail, name="request_detail"),
    path("demandes/<int:pk>/decision/", requests.request_decide, name="request_decide"),
]
