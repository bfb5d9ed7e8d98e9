"""The CMS's documents, images and page tree stay inside their collectivity (issue #11,
item 4).

Reproduction: as an agent or editor of Beaulieu, ``/admin/api/main/documents/`` and
``/admin/api/main/images/`` (and their detail URLs) listed Val Fleuri's « Règlement
intérieur » and its download address; ``/admin/choose-page/<id>/`` showed Val Fleuri's page
tree; ``/documents/<id>/<name>`` served any collectivity's document to anonymous visitors on
any host. Every test below has the forbidden object in the database.
"""

import io

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.test import Client

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import BaseViewRestriction, CollectionViewRestriction, PageViewRestriction
from wagtail.rich_text import RichText

import pytest
from PIL import Image as PILImage

from cms_pages.models import HomePage, StandardPage
from portal.models import Membership
from portal.services import membership_grant
from tests.conftest import HOST_A, HOST_B
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

Document = get_document_model()
Image = get_image_model()
SECRET_TITLE = "Règlement intérieur"


def _document(collectivity, title=SECRET_TITLE, *, collection=None):
    name = "reglement.pdf" if title == SECRET_TITLE else "fichier.pdf"
    return Document.objects.create(
        title=title,
        file=ContentFile(b"%PDF-1.4 secret", name=name),
        collection=collection or collectivity.collection,
    )


def _image(collectivity, title=SECRET_TITLE):
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return Image.objects.create(
        title=title,
        file=ImageFile(
            io.BytesIO(buffer.getvalue()), name="plan.png" if title == SECRET_TITLE else "a.png"
        ),
        collection=collectivity.collection,
    )


@pytest.fixture
def files(collectivity_a, collectivity_b):
    """A's own document and image, and B's (the forbidden ones)."""
    return {
        "doc_a": _document(collectivity_a, "Menus de la cantine"),
        "doc_b": _document(collectivity_b),
        "img_a": _image(collectivity_a, "Logo Alpha"),
        "img_b": _image(collectivity_b),
    }


def _text(response) -> str:
    """The page's HTML, also when a chooser wraps it in JSON (``{"html": ...}``)."""
    if response["Content-Type"].startswith("application/json"):
        data = response.json()
        return data.get("html", "") if isinstance(data, dict) else str(data)
    return response.content.decode()


def _as(user, host=HOST_A) -> Client:
    client = Client(HTTP_HOST=host)
    if user is not None:
        client.force_login(user)
    return client


# --- the admin API ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "editor"])
@pytest.mark.parametrize("kind", ["documents", "images"])
def test_admin_api_listing_hides_other_collectivitys_files(files, agent_a, editor_a, role, kind):
    """Reproduction: Beaulieu's agent or editor listed Val Fleuri's « Règlement intérieur »
    (and its download URL) at /admin/api/main/documents/ and /images/."""
    user = agent_a if role == "agent" else editor_a
    response = _as(user).get(f"/admin/api/main/{kind}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert SECRET_TITLE not in body
    assert "reglement" not in body and "plan_" not in body
    titles = [item["title"] for item in response.json()["items"]]
    if role == "editor":
        assert titles == ["Menus de la cantine" if kind == "documents" else "Logo Alpha"]


@pytest.mark.parametrize("role", ["agent", "editor"])
@pytest.mark.parametrize("kind", ["documents", "images"])
def test_admin_api_detail_of_other_collectivitys_file_is_404(files, agent_a, editor_a, role, kind):
    """Reproduction: /admin/api/main/documents/<id>/ of Val Fleuri's document answered 200
    with its download address to Beaulieu's members."""
    user = agent_a if role == "agent" else editor_a
    forbidden = files["doc_b"] if kind == "documents" else files["img_b"]
    response = _as(user).get(f"/admin/api/main/{kind}/{forbidden.pk}/")
    assert response.status_code == 404
    assert SECRET_TITLE not in response.content.decode()


def test_admin_api_editor_sees_own_file_detail(files, editor_a):
    response = _as(editor_a).get(f"/admin/api/main/documents/{files['doc_a'].pk}/")
    assert response.status_code == 200
    assert response.json()["title"] == "Menus de la cantine"


def test_admin_api_editor_of_two_collectivities_sees_only_this_hosts_files(
    files, editor_a, collectivity_b
):
    """Limited to the host's collectivity even for someone who is a member of both."""
    membership_grant(user=editor_a, collectivity=collectivity_b, role=Membership.Role.EDITOR)
    titles = [i["title"] for i in _as(editor_a).get("/admin/api/main/documents/").json()["items"]]
    assert titles == ["Menus de la cantine"]


def test_superuser_sees_every_collectivitys_files(files, collectivity_a):
    operator = UserFactory(email="operateur@example.test", is_superuser=True, is_staff=True)
    titles = {i["title"] for i in _as(operator).get("/admin/api/main/documents/").json()["items"]}
    assert titles == {"Menus de la cantine", SECRET_TITLE}


@pytest.mark.parametrize("role", ["agent", "editor"])
def test_admin_api_pages_hide_other_collectivitys_tree(
    collectivity_a, collectivity_b, agent_a, editor_a, role
):
    user = agent_a if role == "agent" else editor_a
    other_home = HomePage.objects.get(pk=collectivity_b.site.root_page_id)
    client = _as(user)
    listing = client.get("/admin/api/main/pages/", {"child_of": "root"})
    assert listing.status_code in (200, 400, 404)
    assert other_home.welcome_title not in listing.content.decode()
    assert f'"id": {other_home.pk}' not in listing.content.decode()
    detail = client.get(f"/admin/api/main/pages/{other_home.pk}/")
    assert detail.status_code == 404


# --- choosers -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "editor"])
def test_page_chooser_does_not_open_other_collectivitys_tree(
    collectivity_a, collectivity_b, agent_a, editor_a, role
):
    """Reproduction: /admin/choose-page/<Val Fleuri's home>/ showed Val Fleuri's page tree to
    Beaulieu's members."""
    user = agent_a if role == "agent" else editor_a
    other_home = HomePage.objects.get(pk=collectivity_b.site.root_page_id)
    other_home.add_child(instance=StandardPage(title="Page secrète de Bêta", slug="secrete"))
    client = _as(user)
    response = client.get(f"/admin/choose-page/{other_home.pk}/")
    assert response.status_code == 404
    root = client.get("/admin/choose-page/")
    assert root.status_code == 200
    body = _text(root)
    assert "Ville de Bêta" not in body and "secrète" not in body
    search = client.get("/admin/choose-page/search/", {"q": "secrète"})
    assert "secrète" not in _text(search)


def test_page_chooser_shows_own_tree(collectivity_a, editor_a):
    own_home = HomePage.objects.get(pk=collectivity_a.site.root_page_id)
    own_home.add_child(instance=StandardPage(title="Mentions légales Alpha", slug="mentions"))
    response = _as(editor_a).get(f"/admin/choose-page/{own_home.pk}/")
    assert response.status_code == 200
    assert "Mentions légales Alpha" in _text(response)


@pytest.mark.parametrize("kind", ["documents", "images"])
def test_file_choosers_show_only_this_hosts_collection(files, editor_a, collectivity_b, kind):
    """An editor of both collectivities, on A's host, chooses among A's files only."""
    membership_grant(user=editor_a, collectivity=collectivity_b, role=Membership.Role.EDITOR)
    client = _as(editor_a)
    response = client.get(f"/admin/{kind}/chooser/")
    assert response.status_code == 200
    body = _text(response)
    assert SECRET_TITLE not in body
    assert ("Menus de la cantine" if kind == "documents" else "Logo Alpha") in body
    listing = client.get(f"/admin/{kind}/")
    assert SECRET_TITLE not in listing.content.decode()
    forbidden = files["doc_b"] if kind == "documents" else files["img_b"]
    chosen = client.get(f"/admin/{kind}/chooser/{forbidden.pk}/")
    assert chosen.status_code in (403, 404)


# --- serving documents -----------------------------------------------------------------------


def _serve_url(document):
    return f"/documents/{document.pk}/{document.filename}"


def test_document_is_not_served_on_another_collectivitys_host(files):
    """Reproduction: /documents/<id>/<name> served Val Fleuri's document to anonymous
    visitors on Beaulieu's host."""
    response = _as(None, HOST_A).get(_serve_url(files["doc_b"]))
    assert response.status_code == 404


def test_document_is_served_on_its_own_host(files):
    response = _as(None, HOST_B).get(_serve_url(files["doc_b"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 secret"


def test_document_outside_every_collectivity_is_not_served(collectivity_a):
    """The root collection belongs to no collectivity: its files are the operator's."""
    from wagtail.models import Collection

    document = _document(collectivity_a, "Fichier de la plateforme")
    document.collection = Collection.get_first_root_node()
    document.save()
    assert _as(None, HOST_A).get(_serve_url(document)).status_code == 404


def test_document_in_a_sub_collection_is_served_on_its_host(collectivity_a):
    sub = collectivity_a.collection.add_child(name="Menus")
    document = _document(collectivity_a, "Menu de mars", collection=sub)
    assert _as(None, HOST_A).get(_serve_url(document)).status_code == 200
    assert _as(None, HOST_B).get(_serve_url(document)).status_code == 404


@pytest.fixture
def private_doc(collectivity_a, collectivity_b):
    """A document in a collection of A restricted to logged-in visitors."""
    private = collectivity_a.collection.add_child(name="Réservé")
    CollectionViewRestriction.objects.create(
        collection=private, restriction_type=BaseViewRestriction.LOGIN
    )
    return _document(collectivity_a, "Compte rendu du conseil", collection=private)


def test_private_document_sends_anonymous_visitors_to_log_in(private_doc):
    response = _as(None, HOST_A).get(_serve_url(private_doc))
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/connexion/")


def test_private_document_is_refused_to_an_account_of_another_collectivity(
    private_doc, collectivity_b, agent_b
):
    """Accounts are global: B's agent (or a parent of B) logged in on A's host is logged in,
    but not one of A's members."""
    parent_b = UserFactory(email="parent.b@example.test")
    SubscriptionFactory(user=parent_b, family=FamilyFactory(collectivity=collectivity_b))
    for user in (agent_b, parent_b, UserFactory(email="personne@example.test")):
        assert _as(user, HOST_A).get(_serve_url(private_doc)).status_code == 404


def test_private_document_is_served_to_members(private_doc, collectivity_a, agent_a):
    parent = UserFactory(email="parent.a@example.test")
    SubscriptionFactory(user=parent, family=FamilyFactory(collectivity=collectivity_a))
    for user in (agent_a, parent):
        assert _as(user, HOST_A).get(_serve_url(private_doc)).status_code == 200


def test_document_used_only_on_a_private_page_is_private(collectivity_a, agent_b):
    """A document linked only from a page restricted to logged-in visitors is as private as
    the page."""
    home = HomePage.objects.get(pk=collectivity_a.site.root_page_id)
    document = _document(collectivity_a, "Annexe réservée")
    page = home.add_child(
        instance=StandardPage(
            title="Espace réservé",
            slug="reserve",
            body=[
                (
                    "paragraph",
                    RichText(f'<p><a linktype="document" id="{document.pk}">Annexe</a></p>'),
                )
            ],
        )
    )
    PageViewRestriction.objects.create(page=page, restriction_type=BaseViewRestriction.LOGIN)
    page.save_revision().publish()
    anonymous = _as(None, HOST_A).get(_serve_url(document))
    assert anonymous.status_code == 302
    assert _as(agent_b, HOST_A).get(_serve_url(document)).status_code == 404


def test_demo_media_serving_skips_documents_files(tmp_path, rf):
    """Under ``DEBUG`` (the demo) ``/media/`` is served by Django: the documents' files there
    would bypass every check above."""
    from django.http import Http404

    from portal.views import media_serve

    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "reglement.pdf").write_bytes(b"%PDF secret")
    (tmp_path / "logo.png").write_bytes(b"png")
    with pytest.raises(Http404):
        media_serve(rf.get("/"), "documents/reglement.pdf", document_root=str(tmp_path))
    assert media_serve(rf.get("/"), "logo.png", document_root=str(tmp_path)).status_code == 200


# --- CMS image files ------------------------------------------------------------------------


def test_an_image_file_is_served_only_on_its_collectivitys_host(collectivity_a, collectivity_b):
    """Reproduction: ``/media/original_images/plan.png`` (and its renditions) answered on any
    host, so Val Fleuri's site served Beaulieu's images."""
    image = _image(collectivity_a)
    original = f"/media/{image.file.name}"
    rendition = f"/media/{image.get_rendition('fill-4x4').file.name}"
    for path in (original, rendition):
        response = _as(None, HOST_A).get(path)
        assert response.status_code == 200, path
        assert response["X-Content-Type-Options"] == "nosniff"
        assert _as(None, HOST_B).get(path).status_code == 404, path
    assert _as(None, HOST_A).get("/media/original_images/inconnue.png").status_code == 404


def test_an_image_of_a_restricted_collection_is_for_members_only(collectivity_a, agent_b):
    private = collectivity_a.collection.add_child(name="Images réservées")
    CollectionViewRestriction.objects.create(
        collection=private, restriction_type=BaseViewRestriction.LOGIN
    )
    image = _image(collectivity_a)
    image.collection = private
    image.save()
    path = f"/media/{image.file.name}"
    assert _as(None, HOST_A).get(path).status_code == 404
    assert _as(agent_b, HOST_A).get(path).status_code == 404
    member = UserFactory()
    membership_grant(user=member, collectivity=collectivity_a, role=Membership.Role.EDITOR)
    assert _as(member, HOST_A).get(path).status_code == 200
