"""Back-office URLs of the reservation/absence request queue (under /admin/enfance/)."""

from django.urls import path

from . import admin_requests

urlpatterns = [
    path("demandes/", admin_requests.requests_queue, name="requests"),
    path("demandes/selection/", admin_requests.requests_bulk, name="requests_bulk"),
    path("demandes/<int:pk>/", admin_requests.request_detail, name="request_detail"),
    path("demandes/<int:pk>/decision/", admin_requests.request_decide, name="request_decide"),
]
