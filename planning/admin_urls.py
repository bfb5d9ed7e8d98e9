"""Back-office URLs of the planning app, under ``/admin/enfance/`` (see wagtail_hooks)."""

from . import admin_urls_activities, admin_urls_enrolments, admin_urls_requests

urlpatterns = [
    *admin_urls_activities.urlpatterns,
    *admin_urls_enrolments.urlpatterns,
    *admin_urls_requests.urlpatterns,
]
