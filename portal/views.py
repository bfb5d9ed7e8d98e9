from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.static import serve as static_serve

from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.chooser import BrowseView
from wagtail.contrib.settings.views import EditView as WagtailSettingsEditView
from wagtail.models import Page

from . import cms_access
from .links import portal_link_url


@never_cache
def healthz(request):
    """For load balancers: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def closed_door(request, *args, **kwargs):
    """A log-in form we do not offer (Wagtail's front-end ``/_util/login/``): every way into a
    session goes through allauth's log-in, with its rate limits and mandatory activation."""
    raise Http404


@require_admin_access
def page_chooser_browse(request, parent_page_id):
    """Wagtail's page chooser, opened only on a page of the host's site (or the tree root):
    the chooser shows the parent page it is given, which its queryset hook cannot hide."""
    page = get_object_or_404(Page, pk=parent_page_id)
    if not cms_access.page_is_on_this_site(request, page):
        raise Http404
    return BrowseView.as_view()(request, parent_page_id=parent_page_id)


def media_serve(request, path, document_root=None):
    """``DEBUG`` only (the demo): uploaded media, except the documents' files, which are served
    only by Wagtail's permission-checked ``/documents/<id>/<name>``."""
    if path.startswith("documents/"):
        raise Http404
    return static_serve(request, path, document_root=document_root)


def cms_image_serve(request, path):
    """A CMS image (original or rendition) from local storage, only on its own collectivity's
    host (``portal.cms_access.image_check_access``); every setting mounts it, so an operator
    routes ``/media/images/`` and ``/media/original_images/`` to the application."""
    from django.conf import settings

    from .cms_access import image_check_access, image_for_media_path

    image = image_for_media_path(path)
    if image is None:
        raise Http404
    image_check_access(image, request)
    response = static_serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def account_space(request):
    """« Mon espace citoyen »: the account's own services."""
    services = [
        (key, portal_link_url(key, request.collectivity))
        for key in ("subscriptions", "requests", "family_space", "billing_space")
    ]
    return render(
        request,
        "portal/account_space.html",
        {"services": {key: url for key, url in services if url}},
    )


class SettingsEditView(WagtailSettingsEditView):
    """Wagtail's settings form, with the confirmation agreed in French: Wagtail writes
    « %(setting_type)s mis à jour. » whatever the gender (« Collectivité mis à jour »)."""

    SAVED = {
        "collectivity": _lazy("Collectivité mise à jour."),
        "navigationsettings": _lazy("Menus mis à jour."),
        "brandingsettings": _lazy("Identité visuelle mise à jour."),
    }

    def get_success_message(self):
        message = self.SAVED.get(self.model._meta.model_name)
        if message:
            return str(message)
        return _lazy("Réglages « %(name)s » enregistrés.") % {"name": self.model._meta.verbose_name}


settings_edit = SettingsEditView.as_view()
