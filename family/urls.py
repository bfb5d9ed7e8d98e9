from django.urls import path

from .views import creation, dossier, space, subscriptions

app_name = "family"
# The back office's URLs are in family.admin.urls (mounted by family.wagtail_hooks).

# Mounted at the site root: full paths.
urlpatterns = [
    path("famille/", space.family_space, name="space"),
    path("famille/sans-code-abonne/", space.no_code, name="no_code"),
    # Dossier famille (parent side)
    path("famille/dossier/", dossier.dossier, name="dossier"),
    path(
        "famille/dossier/responsables/<int:guardian_id>/informations/",
        dossier.guardian_basic,
        name="dossier_guardian_basic",
    ),
    path(
        "famille/dossier/responsables/<int:guardian_id>/adresse/",
        dossier.guardian_address,
        name="dossier_guardian_address",
    ),
    path(
        "famille/dossier/coordonnees-bancaires/",
        dossier.bank_details,
        name="dossier_bank",
    ),
    path("famille/dossier/donnees-fiscales/", dossier.fiscal_data, name="dossier_fiscal"),
    path(
        "famille/dossier/enfants/<int:child_id>/informations/",
        dossier.child_general,
        name="dossier_child_general",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/autorisations/",
        dossier.child_authorizations,
        name="dossier_child_authorizations",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/donnees-sanitaires/",
        dossier.child_health,
        name="dossier_child_health",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/adultes-habilites/ajouter/",
        dossier.adult_add,
        name="dossier_adult_add",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/adultes-habilites/<int:adult_id>/modifier/",
        dossier.adult_edit,
        name="dossier_adult_edit",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/adultes-habilites/<int:adult_id>/retirer/",
        dossier.adult_remove,
        name="dossier_adult_remove",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/photo/",
        dossier.child_photo,
        name="dossier_child_photo",
    ),
    path(
        "famille/dossier/enfants/<int:child_id>/photo/modifier/",
        dossier.child_photo_edit,
        name="dossier_child_photo_edit",
    ),
    path(
        "famille/dossier/demandes/<int:request_id>/annuler/",
        dossier.request_cancel,
        name="dossier_request_cancel",
    ),
    path("famille/creation/", creation.creation, name="creation"),
    path("famille/creation/etape-<int:step>/", creation.creation_step, name="creation_step"),
    path("famille/creation/envoyee/", creation.creation_sent, name="creation_sent"),
    path(
        "famille/creation/recommencer/",
        creation.creation_restart,
        name="creation_restart",
    ),
    path("famille/creation/annuler/", creation.creation_cancel_view, name="creation_cancel"),
    path("mon-espace/abonnements/", subscriptions.subscription_list, name="subscriptions"),
    path(
        "mon-espace/abonnements/ajouter/", subscriptions.subscription_add, name="subscription_add"
    ),
    path(
        "mon-espace/abonnements/confirmer/<str:token>/",
        subscriptions.subscription_confirm,
        name="subscription_confirm",
    ),
]
