"""Back-office URLs of the family app, under ``/admin/familles/`` (see wagtail_hooks)."""

from django.urls import path

from . import authorizations, creation, families, quotients, requests

urlpatterns = [
    path("<int:pk>/", families.family_detail, name="detail"),
    path(
        "<int:pk>/abonnements/<int:subscription_pk>/delier/",
        families.subscription_unlink,
        name="subscription_unlink",
    ),
    path("<int:pk>/code/revoquer/", families.code_revoke, name="code_revoke"),
    path("<int:pk>/code/generer/", families.code_regenerate, name="code_regenerate"),
    path("<int:pk>/courrier/", families.family_letter, name="letter"),
    path("<int:pk>/quotient/", quotients.quotient_add, name="quotient_add"),
    path("courriers/", families.letters_batch, name="letters"),
    path("comptes/", families.accounts, name="accounts"),
    path("import/", families.family_import, name="import"),
    path("import/modele.csv", families.import_template, name="import_template"),
    path("demandes/", requests.requests_queue, name="requests"),
    path("demandes/selection/", requests.requests_bulk, name="requests_bulk"),
    path("demandes/<int:pk>/", requests.request_detail, name="request_detail"),
    path("demandes/<int:pk>/accepter/", requests.request_accept, name="request_accept"),
    path("demandes/<int:pk>/refuser/", requests.request_refuse, name="request_refuse"),
    path("demandes/<int:pk>/photo/", requests.request_photo, name="request_photo"),
    path(
        "donnees-sanitaires/consultations/",
        requests.health_access_logs,
        name="health_logs",
    ),
    path("autorisations/", authorizations.authorization_types, name="authorization_types"),
    path(
        "autorisations/ajouter/",
        authorizations.authorization_type_add,
        name="authorization_type_add",
    ),
    path(
        "autorisations/<int:pk>/modifier/",
        authorizations.authorization_type_edit,
        name="authorization_type_edit",
    ),
    path(
        "autorisations/<int:pk>/desactiver/",
        authorizations.authorization_type_deactivate_view,
        name="authorization_type_deactivate",
    ),
    path("creations/<int:pk>/", creation.creation_detail, name="creation_detail"),
    path("creations/<int:pk>/accepter/", creation.creation_accept, name="creation_accept"),
    path("creations/<int:pk>/refuser/", creation.creation_refuse, name="creation_refuse"),
]
