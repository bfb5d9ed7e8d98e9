from django.templatetags.static import static
from django.utils.html import format_html

from wagtail import hooks
from wagtail.admin.api.views import PagesAdminAPIViewSet
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet

from . import cms_access


@hooks.register("construct_homepage_panels")
def agents_home_panels(request, panels):
    """The agents' home: their queues, the day's occupancy, the overdue items (portal/home.py),
    before Wagtail's own panels (pages to moderate, recent edits) that editors use."""
    from .home import home_panels

    panels[:0] = home_panels(request)


@hooks.register("insert_global_admin_css")
def admin_contrast_css():
    return format_html('<link rel="stylesheet" href="{}">', static("css/admin.css"))


# --- the admin API: the member's collections and the host's site only ------------------------


class HostDocumentsAdminAPIViewSet(DocumentsAdminAPIViewSet):
    def get_queryset(self):
        queryset = super().get_queryset()
        return cms_access.files_visible_in_admin(self.model, self.request, queryset)


class HostImagesAdminAPIViewSet(ImagesAdminAPIViewSet):
    def get_queryset(self):
        queryset = super().get_queryset()
        return cms_access.files_visible_in_admin(self.model, self.request, queryset)


class HostPagesAdminAPIViewSet(PagesAdminAPIViewSet):
    def get_base_queryset(self):
        return cms_access.site_pages(self.request, super().get_base_queryset())


@hooks.register("construct_admin_api", order=100)  # after Wagtail's own endpoints
def admin_api_scoped_to_the_host(router):
    router.register_endpoint("pages", HostPagesAdminAPIViewSet)
    router.register_endpoint("documents", HostDocumentsAdminAPIViewSet)
    router.register_endpoint("images", HostImagesAdminAPIViewSet)


# --- page choosers and explorer: the host's site only ---------------------------------------


@hooks.register("construct_page_chooser_queryset")
def page_chooser_on_this_site(pages, request):
    return cms_access.site_pages(request, pages)


@hooks.register("construct_explorer_page_queryset")
def explorer_on_this_site(parent_page, pages, request):
    return cms_access.site_pages(request, pages)


# --- serving documents -----------------------------------------------------------------------


@hooks.register("before_serve_document")
def document_served_on_its_own_host(document, request):
    return cms_access.document_check_access(document, request)
