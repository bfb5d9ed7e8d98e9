"""A URL configuration for testing module gating: the real one plus a gated section."""

from django.http import HttpResponse
from django.urls import include, path

from portal.modules import gate_patterns
from portal.urls import urlpatterns as portal_patterns


def billing_index(request):
    return HttpResponse("Espace facturation")


billing_patterns = gate_patterns("billing", [path("", billing_index, name="index")])

urlpatterns = [
    path("facturation/", include((billing_patterns, "billing"), namespace="billing")),
    *portal_patterns,
]
