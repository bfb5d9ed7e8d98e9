"""The URL table's sibling for the CMS's doors (issue #11, items 1 and 4): Wagtail's
front-end log-in, the admin API, the choosers and document serving, each against every role
of collectivity A — anonymous, a parent, an agent, an editor — and B's editor on A's host,
with collectivity B's document, image and pages in the URLs and in the database.

``test_url_table.py`` checks Wagtail's routes by prefix (closed to anonymous visitors and to
other collectivities' members); this table puts the forbidden objects in them.
"""

import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.test import Client

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page

import pytest
from PIL import Image as PILImage

from cms_pages.models import StandardPage
from portal.models import Membership
from portal.services import membership_grant
from tests.conftest import HOST_A
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

FORBIDDEN = "Interdite-Beta"  # in the title of every object of B


@pytest.fixture
def cms_world(collectivity_a, collectivity_b):
    home_b = Page.objects.get(pk=collectivity_b.site.root_page_id)
    page_b = home_b.add_child(instance=StandardPage(title=f"Page {FORBIDDEN}", slug="interdite"))
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4)).save(buffer, "PNG")
    document = get_document_model().objects.create(
        title=f"Document {FORBIDDEN}",
        file=ContentFile(b"%PDF-1.4", name="interdit.pdf"),
        collection=collectivity_b.collection,
    )
    image = get_image_model().objects.create(
        title=f"Image {FORBIDDEN}",
        file=ImageFile(io.BytesIO(buffer.getvalue()), name="interdite.png"),
        collection=collectivity_b.collection,
    )
    parent = UserFactory(email="parent.cms@example.test")
    SubscriptionFactory(user=parent, family=FamilyFactory(collectivity=collectivity_a))
    agent = UserFactory(email="agent.cms@example.test")
    membership_grant(user=agent, collectivity=collectivity_a, role=Membership.Role.AGENT)
    editor = UserFactory(email="editeur.cms@example.test")
    membership_grant(user=editor, collectivity=collectivity_a, role=Membership.Role.EDITOR)
    editor_b = UserFactory(email="editeur.cms.b@example.test")
    membership_grant(user=editor_b, collectivity=collectivity_b, role=Membership.Role.EDITOR)
    return {
        "users": {
            "anonymous": None,
            "parent": parent,
            "agent": agent,
            "editor": editor,
            "editor_b": editor_b,
        },
        "home_b": home_b,
        "page_b": page_b,
        "document": document,
        "image": image,
    }


LISTING = "listing"  # members of A: 200 (or 403), nothing of B in it
OBJECT = "object"  # names B's object: 404 (or 403) for everyone
CLOSED = "closed"  # 404 for everyone


@dataclass(frozen=True)
class Door:
    kind: str
    path: object  # world -> path
    query: dict | None = None


DOORS = {
    "wagtail front-end log-in": Door(CLOSED, lambda w: "/_util/login/"),
    "admin API documents": Door(LISTING, lambda w: "/admin/api/main/documents/"),
    "admin API document": Door(OBJECT, lambda w: f"/admin/api/main/documents/{w['document'].pk}/"),
    "admin API images": Door(LISTING, lambda w: "/admin/api/main/images/"),
    "admin API image": Door(OBJECT, lambda w: f"/admin/api/main/images/{w['image'].pk}/"),
    "admin API pages": Door(LISTING, lambda w: "/admin/api/main/pages/"),
    "admin API pages of B's home": Door(
        OBJECT, lambda w: "/admin/api/main/pages/", {"child_of": "{home_b}"}
    ),
    "admin API page": Door(OBJECT, lambda w: f"/admin/api/main/pages/{w['page_b'].pk}/"),
    "admin API B's home": Door(OBJECT, lambda w: f"/admin/api/main/pages/{w['home_b'].pk}/"),
    "page chooser": Door(LISTING, lambda w: "/admin/choose-page/"),
    "page chooser in B's tree": Door(OBJECT, lambda w: f"/admin/choose-page/{w['home_b'].pk}/"),
    "page chooser search": Door(
        LISTING, lambda w: "/admin/choose-page/search/", {"q": "Interdite"}
    ),
    "document chooser": Door(LISTING, lambda w: "/admin/documents/chooser/"),
    "document chooser results": Door(
        LISTING, lambda w: "/admin/documents/chooser/results/", {"q": "Interdite"}
    ),
    "document chosen": Door(OBJECT, lambda w: f"/admin/documents/chooser/{w['document'].pk}/"),
    "image chooser": Door(LISTING, lambda w: "/admin/images/chooser/"),
    "image chooser results": Door(
        LISTING, lambda w: "/admin/images/chooser/results/", {"q": "Interdite"}
    ),
    "image chosen": Door(OBJECT, lambda w: f"/admin/images/chooser/{w['image'].pk}/"),
    "documents listing": Door(LISTING, lambda w: "/admin/documents/"),
    "images listing": Door(LISTING, lambda w: "/admin/images/"),
    "document edit": Door(OBJECT, lambda w: f"/admin/documents/edit/{w['document'].pk}/"),
    "image edit": Door(OBJECT, lambda w: f"/admin/images/{w['image'].pk}/"),
    "document serving": Door(
        CLOSED, lambda w: f"/documents/{w['document'].pk}/{w['document'].filename}"
    ),
}


def _fetch(user, door: Door, world):
    client = Client(HTTP_HOST=HOST_A)
    if user is not None:
        client.force_login(user)
    query = {
        key: value.format(home_b=world["home_b"].pk) for key, value in (door.query or {}).items()
    }
    return client.get(door.path(world), query)


def _to_dashboard(response) -> bool:
    """Wagtail's refusal for a member without the permission: back to the dashboard."""
    return response.status_code == 302 and response["Location"] == "/admin/"


def _refused(role: str, response) -> bool:
    """Anonymous: the log-in page or a refusal; non-members: 403/404; members: 403/404 or
    Wagtail's redirect to the dashboard."""
    status = response.status_code
    if role == "anonymous":
        location = response.get("Location", "")
        login = status == 302 and location.startswith(("/admin/login/", "/compte/connexion/"))
        return login or status in (401, 403, 404)
    if role in ("agent", "editor") and _to_dashboard(response):
        return True
    if status == 400 and response["Content-Type"] == "application/json":
        return True  # the API's "parent page doesn't exist"
    return status in (403, 404)


@pytest.mark.parametrize("role", ["anonymous", "parent", "agent", "editor", "editor_b"])
def test_cms_doors_never_open_on_another_collectivitys_objects(cms_world, role):
    user = cms_world["users"][role]
    problems = []
    for name, door in DOORS.items():
        response = _fetch(user, door, cms_world)
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode(errors="replace")
        status = response.status_code
        if status >= 500:
            problems.append(f"{name}: {status}")
        elif door.kind == CLOSED and status != 404:
            problems.append(f"{name}: {status}, expected 404")
        elif door.kind == OBJECT and not _refused(role, response):
            problems.append(f"{name}: {status}, expected a refusal")
        elif door.kind == LISTING:
            if role in ("agent", "editor"):
                if status not in (200, 403) and not _to_dashboard(response):
                    problems.append(f"{name}: {status}")
            elif not _refused(role, response):
                problems.append(f"{name}: {status}, expected a refusal")
        if FORBIDDEN in body or "interdit" in body:
            problems.append(f"{name}: shows collectivity B's object ({status})")
    assert not problems, "\n".join(problems)
