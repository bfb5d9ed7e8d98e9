"""Writes of the portal app: collectivities and memberships."""

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.text import slugify

from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    GroupSitePermission,
    Site,
)

from .models import Collectivity, Membership, User

EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
EDITOR_COLLECTION_PERMISSIONS = [
    ("wagtailimages", "image", ["add", "change", "choose"]),
    ("wagtaildocs", "document", ["add", "change", "choose"]),
]


def _permission(app_label: str, codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "collectivite"
    slug, n = base, 1
    while Collectivity.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def collectivity_create(*, site: Site, name: str, **config) -> Collectivity:
    """Bind a new collectivity to ``site`` with its agents' and editors' groups.

    Editors get page permissions on the site's tree only, their own image and document
    collection, and the site settings of this site only (Wagtail's per-site permissions).
    """
    collectivity = Collectivity.objects.create(
        site=site, name=name, slug=_unique_slug(name), **config
    )
    collectivity_sync_permissions(collectivity=collectivity)
    return collectivity


@transaction.atomic
def collectivity_sync_permissions(*, collectivity: Collectivity) -> None:
    """Create or refresh the groups and permissions of a collectivity (idempotent)."""
    access_admin = _permission("wagtailadmin", "access_admin")
    if collectivity.agents_group is None:
        collectivity.agents_group = Group.objects.create(name=f"{collectivity.name} — agents")
    if collectivity.editors_group is None:
        collectivity.editors_group = Group.objects.create(name=f"{collectivity.name} — éditeurs")
    if collectivity.collection is None:
        root = Collection.get_first_root_node()
        collectivity.collection = root.add_child(name=collectivity.name)
    collectivity.save(update_fields=["agents_group", "editors_group", "collection"])

    agents, editors = collectivity.agents_group, collectivity.editors_group
    agents.permissions.add(access_admin)
    for label in getattr(settings, "PORTAL_AGENT_PERMISSIONS", []):
        app_label, codename = label.split(".")
        agents.permissions.add(_permission(app_label, codename))

    editors.permissions.add(access_admin)
    root_page = collectivity.site.root_page
    for codename in EDITOR_PAGE_PERMISSIONS:
        GroupPagePermission.objects.get_or_create(
            group=editors, page=root_page, permission=_permission("wagtailcore", codename)
        )
    for app_label, model, actions in EDITOR_COLLECTION_PERMISSIONS:
        for action in actions:
            GroupCollectionPermission.objects.get_or_create(
                group=editors,
                collection=collectivity.collection,
                permission=_permission(app_label, f"{action}_{model}"),
            )
    for label in settings.PORTAL_EDITOR_SITE_SETTINGS:
        model = apps.get_model(label)
        content_type = ContentType.objects.get_for_model(model)
        permission = Permission.objects.get(
            content_type=content_type, codename=f"change_{model._meta.model_name}"
        )
        GroupSitePermission.objects.get_or_create(
            group=editors, site=collectivity.site, permission=permission
        )


def _role_group(collectivity: Collectivity, role: str) -> Group | None:
    if role == Membership.Role.AGENT:
        return collectivity.agents_group
    if role == Membership.Role.EDITOR:
        return collectivity.editors_group
    return None  # the health role is checked through Membership (request.scope), not a group


@transaction.atomic
def membership_grant(*, user: User, collectivity: Collectivity, role: str) -> Membership:
    membership, _created = Membership.objects.get_or_create(
        user=user, collectivity=collectivity, role=role
    )
    group = _role_group(collectivity, role)
    if group is not None:
        user.groups.add(group)
    return membership


@transaction.atomic
def membership_revoke(*, user: User, collectivity: Collectivity, role: str) -> None:
    Membership.objects.filter(user=user, collectivity=collectivity, role=role).delete()
    group = _role_group(collectivity, role)
    if group is not None:
        user.groups.remove(group)
