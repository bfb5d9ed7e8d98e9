"""The payment simulator (demo and tests only): mounted by ``portal/urls.py`` when
``PORTAL_PAYMENT_SIMULATOR`` is on, so with production settings these URLs do not exist."""

from django.urls import path

from .views import simulator

app_name = "payment_simulator"

urlpatterns = [path("", simulator.index, name="index")]
