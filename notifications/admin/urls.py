"""Back-office URLs of the outbox, under ``/admin/e-mails/`` (namespace
``notifications_admin``, registered in ``notifications/wagtail_hooks.py``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.emails, name="emails"),
    path("<int:pk>/", views.email_detail, name="email_detail"),
    path("<int:pk>/renvoyer/", views.email_resend, name="email_resend"),
    path(
        "demandes/<slug:kind>/<int:pk>/message/",
        views.request_message,
        name="request_message",
    ),
]
