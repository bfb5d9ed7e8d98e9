"""Back-office URLs of the family app, under ``/admin/familles/`` (see wagtail_hooks)."""

from django.urls import path

from . import admin_views

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
]
