from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("mon-espace/demandes/", views.requests, name="requests"),
    path("mon-espace/demandes/<slug:kind>/<int:pk>/", views.request_detail, name="request_detail"),
    path("mon-espace/preferences/", views.preferences, name="preferences"),
]
