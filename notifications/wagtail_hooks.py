"""Back office of the outbox: the « E-mails » menu entry and its URLs (``/admin/e-mails/``),
shown to the collectivity's agents."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .admin import urls as admin_urls


class AgentMenuItem(MenuItem):
    def is_shown(self, request):
        scope = getattr(request, "scope", None)
        return scope is not None and scope.is_agent


@hooks.register("register_admin_urls")
def register_notifications_admin_urls():
    return [path("e-mails/", include((admin_urls.urlpatterns, "notifications_admin")))]


@hooks.register("register_admin_menu_item")
def register_notifications_menu():
    return AgentMenuItem(
        _("E-mails"),
        reverse("notifications_admin:emails"),
        name="e-mails",
        icon_name="mail",
        order=900,
    )
