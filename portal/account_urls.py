from django.urls import path

from . import views

urlpatterns = [
    path("", views.account_space, name="account_space"),
]
