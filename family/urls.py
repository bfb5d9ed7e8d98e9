from django.urls import path

from . import views

app_name = "family"

# Mounted at the site root: full paths.
urlpatterns = [
    path("famille/", views.family_space, name="space"),
    path("famille/sans-code-abonne/", views.no_code, name="no_code"),
    path("mon-espace/abonnements/", views.subscription_list, name="subscriptions"),
    path("mon-espace/abonnements/ajouter/", views.subscription_add, name="subscription_add"),
    path(
        "mon-espace/abonnements/confirmer/<str:token>/",
        views.subscription_confirm,
        name="subscription_confirm",
    ),
]
