from django.urls import path

from . import views

app_name = "family"

urlpatterns = [
    path("famille/", views.family_space, name="space"),
]
