"""Back-office URLs of activities, occupancy and attendance (namespace ``planning_admin``)."""

from django.urls import path

from . import admin_activities as views

urlpatterns = [
    path("activites/", views.activities, name="activities"),
    path("activites/ajouter/", views.activity_add, name="activity_add"),
    path("activites/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activites/<int:pk>/modifier/", views.activity_edit, name="activity_edit"),
    path("activites/<int:pk>/supprimer/", views.activity_delete, name="activity_delete"),
    path("activites/<int:pk>/creneaux/", views.activity_generate, name="activity_generate"),
    path(
        "activites/<int:pk>/jours-sans-activite/",
        views.closure_add,
        name="closure_add",
    ),
    path(
        "activites/<int:pk>/jours-sans-activite/<int:closure_pk>/retirer/",
        views.closure_delete,
        name="closure_delete",
    ),
    path("occupation/", views.occupancy, name="occupancy"),
    path("pointage/", views.attendance, name="attendance"),
    path("pointage/<int:slot_id>/", views.register, name="register"),
    path("pointage/<int:slot_id>/feuille.pdf", views.register_pdf, name="register_pdf"),
]
