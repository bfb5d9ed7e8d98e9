from django.urls import path

from .views import creation as creation_views
from .views import dossier as dossier_views
from .views import subscriptions as views

app_name = "family"

# Mounted at the site root: full paths.
urlpatterns = [
    path("famille/", views.family_space, name="space"),
    path("famille/sans-code-abonne/", views.no_code, name="no_code"),
    # Dossier famille (parent side)
    path("famille/dossier/", dossier_views.dossier, name="dossier"),
    path(
        "famille/dossier/responsables/<int:guardian_id>/informations/",
        dossier_views.guardian_basic,
        name="dossier_guardian_basic",
    ),
    path(
        "famille/dossier/responsables/<int:guardian_id>/adresse/",
        dossier_views.guardian_address,
        name="dossier_guardian_address",
    ),
    path(
        "famille/dossier/coordonnees-bancaires/",
        dossier_views.bank_details,
        name="dossier_bank",
    ),
    path("famille/dossier/donnees-fiscales/", dossier_views.fiscal_data, name="dossier_fiscal"),
    path(
        "famille/dossier/enfants/<int:child_id>/informations/",
        dossier_views.child_general,
        name="dossier_child_general",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/autorisations/",
        dossier_views.child_authorizations,
        name="dossier_child_authorizations",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/donnees-sanitaires/",
        dossier_views.child_health,
        name="dossier_child_health",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/adultes-habilites/ajouter/",
        dossier_views.adult_add,
        name="dossier_adult_add",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/adultes-habilites/<int:adult_id>/modifier/",
        dossier_views.adult_edit,
        name="dossier_adult_edit",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/adultes-habilites/<int:adult_id>/retirer/",
        dossier_views.adult_remove,
        name="dossier_adult_remove",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/photo/",
        dossier_views.child_photo,
        name="dossier_child_photo",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/photo/modifier/",
        dossier_views.child_photo_edit,
        name="dossier_child_photo_edit",
    ),
    path(
        "famille/dossier/demandes/<int:request_id>/annuler/",
        dossier_views.request_cancel,
        name="dossier_request_cancel",
    ),
    path("famille/creation/", creation_views.creation, name="creation"),
    path("famille/creation/etape-<int:step>/", creation_views.creation_step, name="creation_step"),
    path("famille/creation/envoyee/", creation_views.creation_sent, name="creation_sent"),
    path(
        "famille/creation/recommencer/",
        creation_views.creation_restart,
        name="creation_restart",
    ),
    path("famille/creation/annuler/", creation_views.creation_cancel_view, name="creation_cancel"),
    path("mon-espace/abonnements/", views.subscription_list, name="subscriptions"),
    path("mon-espace/abonnements/ajouter/", views.subscription_add, name="subscription_add"),
    path(
        "mon-espace/abonnements/confirmer/<str:token>/",
        views.subscription_confirm,
        name="subscription_confirm",
    ),
]
