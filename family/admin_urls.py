"""Back-office URLs of the family app, under ``/admin/familles/`` (see wagtail_hooks)."""

from django.urls import path

from . import admin_dossier, admin_views, creation_admin

urlpatterns = [
    path("<int:pk>/", admin_views.family_detail, name="detail"),
    path(
        "<int:pk>/abonnements/<int:subscription_pk>/delier/",
        admin_views.subscription_unlink,
        name="subscription_unlink",
    ),
    path("<int:pk>/code/revoquer/", admin_views.code_revoke, name="code_revoke"),
    path("<int:pk>/code/generer/", admin_views.code_regenerate, name="code_regenerate"),
    path("<int:pk>/courrier/", admin_views.family_letter, name="letter"),
    path("courriers/", admin_views.letters_batch, name="letters"),
    path("comptes/", admin_views.accounts, name="accounts"),
    path("import/", admin_views.family_import, name="import"),
    path("import/modele.csv", admin_views.import_template, name="import_template"),
    path("demandes/", admin_dossier.requests_queue, name="requests"),
    path("demandes/selection/", admin_dossier.requests_bulk, name="requests_bulk"),
    path("demandes/<int:pk>/", admin_dossier.request_detail, name="request_detail"),
    path("demandes/<int:pk>/accepter/", admin_dossier.request_accept, name="request_accept"),
    path("demandes/<int:pk>/refuser/", admin_dossier.request_refuse, name="request_refuse"),
    path("demandes/<int:pk>/photo/", admin_dossier.request_photo, name="request_photo"),
    path(
        "donnees-sanitaires/consultations/",
        admin_dossier.health_access_logs,
        name="health_logs",
    ),
    path("autorisations/", admin_dossier.authorization_types, name="authorization_types"),
    path(
        "autorisations/ajouter/",
        admin_dossier.authorization_type_add,
        name="authorization_type_add",
    ),
    path(
        "autorisations/<int:pk>/modifier/",
        admin_dossier.authorization_type_edit,
        name="authorization_type_edit",
    ),
    path(
        "autorisations/<int:pk>/desactiver/",
        admin_dossier.authorization_type_deactivate_view,
        name="authorization_type_deactivate",
    ),
    path("creations/<int:pk>/", creation_admin.creation_detail, name="creation_detail"),
    path("creations/<int:pk>/accepter/", creation_admin.creation_accept, name="creation_accept"),
    path("creations/<int:pk>/refuser/", creation_admin.creation_refuse, name="creation_refuse"),
]
