"""What of the CMS (pages, documents, images) a request may reach: its host's collectivity only.

Wagtail's own checks are per user (page permissions, collection permissions), and accounts are
global to the deployment: without these limits an editor of two collectivities saw both on
either host, the admin API listed every collection's files to any member, the page chooser
walked every site's tree and ``/documents/<id>/<name>`` served any collectivity's file on any
host. One place decides, the hooks in ``portal/wagtail_hooks.py`` and the views wrapping
Wagtail's ask it:

- collections: the host collectivity's collection and its descendants;
- pages: the host site's tree, and its ancestors (the tree root) so a chooser can start there;
- superusers (the platform's operators) reach everything.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.http import Http404

from wagtail.models import Collection, GroupCollectionPermission, Page, ReferenceIndex
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy

from django_scopes import get_scope

from .models import Collectivity, Membership


def _current_collectivity() -> Collectivity | None:
    """The collectivity of the request being served (the middleware opens its scope)."""
    return get_scope().get("collectivity")


def collectivity_collections(collectivity: Collectivity | None):
    """A collectivity's collection and its descendants (none when it has none)."""
    if collectivity is None or collectivity.collection_id is None:
        return Collection.objects.none()
    return Collection.objects.descendant_of(collectivity.collection, inclusive=True)


def collectivity_of_collection(collection: Collection) -> Collectivity | None:
    """The collectivity whose collection is ``collection`` or one of its ancestors."""
    ancestors = collection.get_ancestors(inclusive=True)
    return Collectivity.objects.filter(collection__in=ancestors).select_related("site").first()


def site_pages(request, queryset=None):
    """The pages of the host's site (and the ancestors of its root) for non-superusers."""
    queryset = Page.objects.all() if queryset is None else queryset
    if request.user.is_superuser:
        return queryset
    collectivity = getattr(request, "collectivity", None)
    if collectivity is None:
        return queryset.none()
    root = collectivity.site.root_page
    return queryset.filter(path__startswith=root.path) | queryset.filter(
        pk__in=root.get_ancestors().values("pk")
    )


def page_is_on_this_site(request, page: Page) -> bool:
    return site_pages(request).filter(pk=page.pk).exists()


class HostCollectionPermissionPolicy(CollectionOwnershipPermissionPolicy):
    """Wagtail's policy for images and documents, with the user's collection permissions cut
    down to the host's collectivity. Every Wagtail check (listings, choosers, chosen views,
    edit, delete, upload) goes through ``get_all_permissions_for_user``; outside a request
    (commands, tasks) there is no host and nothing is cut."""

    def get_all_permissions_for_user(self, user):
        permissions = super().get_all_permissions_for_user(user)
        state = get_scope()
        if "collectivity" not in state:
            return permissions
        collectivity = state.get("collectivity")
        if collectivity is None or collectivity.collection_id is None:
            return GroupCollectionPermission.objects.none()
        return permissions.filter(collection__path__startswith=collectivity.collection.path)


def host_collection_policies_register() -> None:
    """Put the host-limited policy in place of Wagtail's for documents and images. Registered
    for the exact class, which Wagtail's lookup prefers whatever the apps' order (Wagtail
    registers its own, for the class and its subclasses, in its apps' ready())."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.permissions import register_permission_policy

    for model in (get_document_model(), get_image_model()):
        register_permission_policy(
            model,
            HostCollectionPermissionPolicy(
                model, auth_model=model._meta.label, owner_field_name="uploaded_by_user"
            ),
            exact_class=True,
        )


def files_visible_in_admin(model, request, queryset):
    """The admin API's documents or images: those the member may choose or change here."""
    from wagtail.permissions import policy_registry

    policy = policy_registry.get_by_type(model)
    allowed = policy.instances_user_has_any_permission_for(request.user, ["choose", "change"])
    return queryset.filter(pk__in=allowed.values("pk"))


# --- serving documents -----------------------------------------------------------------------


def is_member(user, collectivity: Collectivity) -> bool:
    """An operator, one of its agents or editors, or a parent subscribed to one of its
    families."""
    from .scoping import Scope

    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if Membership.objects.filter(user=user, collectivity=collectivity).exists():
        return True
    return Scope(user=user, collectivity=collectivity).families.exists()


def _private_pages_only(document) -> list[Page] | None:
    """The live pages that link to the document when every one of them is private; None when
    a public page links to it, or no page does."""
    page_type = ContentType.objects.get_for_model(Page)
    ids = (
        ReferenceIndex.get_references_to(document)
        .filter(base_content_type=page_type)
        .values_list("object_id", flat=True)
    )
    pages = list(Page.objects.live().filter(pk__in=[int(pk) for pk in ids]))
    if not pages or any(not page.get_view_restrictions().exists() for page in pages):
        return None
    return pages


def document_check_access(document, request):
    """Raise 404 when the document may not be served here, or send a visitor to log in.

    A document is served only on its own collectivity's host; a private one (in a restricted
    collection, or linked only from private pages) only to that collectivity's members, and
    then still through Wagtail's own restriction checks.
    """
    collectivity = getattr(request, "collectivity", None)
    user = request.user
    if user.is_superuser:
        return None
    owner = collectivity_of_collection(document.collection)
    if owner is None or collectivity is None or owner.pk != collectivity.pk:
        raise Http404
    private_pages = _private_pages_only(document)
    private = document.collection.get_view_restrictions().exists() or private_pages is not None
    if not private:
        return None
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), settings.WAGTAIL_FRONTEND_LOGIN_URL)
    if not is_member(user, collectivity):
        raise Http404
    if private_pages is not None and not any(
        all(r.accept_request(request) for r in page.get_view_restrictions())
        for page in private_pages
    ):
        raise Http404
    return None


def image_for_media_path(path: str):
    """The CMS image behind a media path (``original_images/…`` or a rendition's
    ``images/…``), or None."""
    from wagtail.images import get_image_model

    Image = get_image_model()
    if path.startswith("original_images/"):
        return Image.objects.filter(file=path).select_related("collection").first()
    if path.startswith("images/"):
        rendition = (
            Image.get_rendition_model()
            .objects.filter(file=path)
            .select_related("image__collection")
            .first()
        )
        return rendition.image if rendition is not None else None
    return None


def image_check_access(image, request) -> None:
    """404 unless the image belongs to this host's collectivity; one in a restricted collection
    only to its members (superusers reach every image)."""
    collectivity = getattr(request, "collectivity", None)
    if request.user.is_superuser:
        return
    owner = collectivity_of_collection(image.collection)
    if owner is None or collectivity is None or owner.pk != collectivity.pk:
        raise Http404
    if image.collection.get_view_restrictions().exists() and not is_member(
        request.user, collectivity
    ):
        raise Http404
