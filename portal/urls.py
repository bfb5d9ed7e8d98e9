from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path, re_path

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import accounts, views

handler400 = "portal.error_views.bad_request"
handler403 = "portal.error_views.permission_denied"
handler404 = "portal.error_views.page_not_found"
handler500 = "portal.error_views.server_error"
handler429 = "portal.accounts.ratelimited"

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("admin/login/", accounts.admin_login),  # throttled Wagtail log-in
    # The page chooser opens only the host's tree (portal/cms_access.py).
    path("admin/choose-page/<int:parent_page_id>/", views.page_chooser_browse),
    # Wagtail's settings form, with a French confirmation that agrees (portal.views).
    path("admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/", views.settings_edit),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("compte/", include("portal.auth_urls")),
    path("mon-espace/", include(("portal.account_urls", "portal"), namespace="portal")),
    path("", include("family.urls")),
    path("", include("planning.urls")),
    path("", include("notifications.urls")),
    path("", include("billing.urls")),
    path("", include("pieces.urls")),
]

# The payment simulator of the demo and the browser tests (never in production settings).
if settings.PORTAL_PAYMENT_SIMULATOR:
    urlpatterns.append(path("simulateur-paiement/", include("billing.simulator_urls")))

# CMS images are served per host (a collectivity's images only on its own site), in every
# setting; with S3 storage they are the bucket's own URLs (README, Production deployment).
if settings.STORAGE_BACKEND == "local":
    urlpatterns += [
        re_path(
            r"^media/(?P<path>(?:original_images|images)/.+)$",
            views.cms_image_serve,
            name="cms_image",
        )
    ]

if settings.DEBUG:
    urlpatterns += static(
        settings.MEDIA_URL, view=views.media_serve, document_root=settings.MEDIA_ROOT
    )

# Wagtail's page serving comes last: it answers every path the apps above did not. Its
# front-end log-in form (no throttle, no activation check) is closed: page privacy sends
# visitors to allauth's log-in (WAGTAIL_FRONTEND_LOGIN_URL).
urlpatterns += [
    path("_util/login/", views.closed_door),
    path("", include(wagtail_urls)),
]
