"""The agents' review: the queue and its filters, the file in a sandboxed frame, accept (end of
validity from the type's rule) or refuse with a reason, bulk accept, a paper document, the
types; never another collectivity's rows; the module off answers 404 and hides the menu."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest
import time_machine

from notifications.models import TimelineEvent
from pieces.models import DocumentType, SupportingDocument
from pieces.services import DocumentError, document_accept, document_refuse, document_upload
from tests.pieces.factories import pdf_upload, png_bytes

pytestmark = pytest.mark.django_db
ADMIN = "/admin/pieces/"


def _sent(world, document_type=None):
    return document_upload(
        family=world.own.family,
        document_type=document_type or world.insurance,
        uploads=[pdf_upload()],
        by=world.own.user,
    )


def test_the_queue_lists_this_collectivitys_pending_documents(client_a, world):
    _sent(world)
    client_a.force_login(world.agent)
    page = client_a.get(ADMIN).content.decode()
    assert "Dupont" in page and "Interdite" in page and "Lointaine" not in page
    page = client_a.get(ADMIN, {"famille_nom": "dup"}).content.decode()
    assert "Dupont" in page and "Interdite</td>" not in page
    page = client_a.get(ADMIN, {"etat": "accepted"}).content.decode()
    assert "Aucune pièce justificative ne correspond à ces filtres." in page


def test_the_file_is_shown_in_a_frame_never_as_html(client_a, world):
    # A PDF is drawn by the browser's own viewer, which a sandbox refuses to start: its frame
    # has no sandbox, but the file is a checked PDF, served as such, never sniffed, and
    # nothing else may load from it. Images keep the sandbox (test below).
    document = _sent(world)
    row = document.files.get()
    client_a.force_login(world.agent)
    page = client_a.get(f"{ADMIN}documents/{document.pk}/").content.decode()
    assert f'<a href="{ADMIN}fichiers/{row.pk}/" target="_blank" rel="noopener">' in page
    assert "<iframe" not in page
    response = client_a.get(f"{ADMIN}fichiers/{row.pk}/")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; object-src 'self'; frame-ancestors 'self'"
    )
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Disposition"].startswith("inline;")
    download = client_a.get(f"{ADMIN}fichiers/{row.pk}/telecharger/")
    assert download["Content-Disposition"].startswith("attachment;")


def test_an_image_is_shown_in_a_sandboxed_frame(client_a, world):
    document = document_upload(
        family=world.own.family,
        document_type=world.insurance,
        uploads=[SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")],
        by=world.own.user,
    )
    row = document.files.get()
    client_a.force_login(world.agent)
    page = client_a.get(f"{ADMIN}documents/{document.pk}/").content.decode()
    assert f'src="{ADMIN}fichiers/{row.pk}/" sandbox' in page
    response = client_a.get(f"{ADMIN}fichiers/{row.pk}/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_accept_sets_the_end_of_validity_and_writes_a_digest_decision(client_a, world):
    world.insurance.validity = DocumentType.Validity.FIXED
    world.insurance.validity_end_day, world.insurance.validity_end_month = 31, 8
    world.insurance.save()
    document = _sent(world)
    client_a.force_login(world.agent)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC)):
        response = client_a.post(
            f"{ADMIN}documents/{document.pk}/accepter/", {"document_date": "2026-10-01"}
        )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == "accepted" and document.valid_until == datetime.date(2027, 8, 31)
    event = TimelineEvent.objects.get(verb="document_accepted", subject_id=document.pk)
    assert event.digest
    # Replayed (double click): refused, nothing changes.
    with pytest.raises(DocumentError, match="déjà été traité"):
        document_accept(document=document, by=world.agent)


def test_refuse_needs_a_reason_the_family_reads(client_a, world):
    document = _sent(world)
    client_a.force_login(world.agent)
    response = client_a.post(f"{ADMIN}documents/{document.pk}/refuser/", {"reason": "  "})
    assert response.status_code == 400
    document.refresh_from_db()
    assert document.status == "pending"
    client_a.post(f"{ADMIN}documents/{document.pk}/refuser/", {"reason": "Document expiré."})
    document.refresh_from_db()
    assert document.status == "refused" and document.refusal_reason == "Document expiré."
    assert TimelineEvent.objects.get(verb="document_refused", subject_id=document.pk).digest
    with pytest.raises(DocumentError):
        document_refuse(document=document, by=world.agent, reason="encore")


def test_bulk_accept(client_a, world):
    mine = _sent(world)
    client_a.force_login(world.agent)
    response = client_a.post(
        f"{ADMIN}selection/",
        {"document": [mine.pk, world.other_doc.pk, world.far_doc.pk], "action": "accept"},
    )
    assert response.status_code == 302
    assert set(
        SupportingDocument.objects.filter(status="accepted").values_list("pk", flat=True)
    ) == {mine.pk, world.other_doc.pk}
    world.far_doc.refresh_from_db()
    assert world.far_doc.status == "pending"


def test_a_document_received_on_paper(client_a, world):
    client_a.force_login(world.agent)
    url = f"{ADMIN}familles/{world.own.family.pk}/papier/"
    assert client_a.get(url).status_code == 200
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    response = client_a.post(url, {"document_type": world.insurance.pk, "document_date": future})
    assert response.status_code == 400
    assert "dans le futur" in response.content.decode()
    response = client_a.post(
        url, {"document_type": world.insurance.pk, "document_date": "2026-11-02"}
    )
    assert response.status_code == 302
    document = SupportingDocument.objects.get(family=world.own.family)
    assert document.status == "accepted" and document.received_on_paper
    assert client_a.get(f"{ADMIN}familles/{world.far.family.pk}/papier/").status_code == 404


def test_types_are_created_and_edited_in_the_back_office(client_a, world):
    client_a.force_login(world.agent)
    response = client_a.post(
        f"{ADMIN}types/ajouter/",
        {
            "name": "Avis d’imposition",
            "holder": "family",
            "validity": "duration",
            "validity_months": "",
            "formats": ["pdf"],
            "order": 0,
            "active": "on",
        },
    )
    assert response.status_code == 400
    assert "Indiquez la durée de validité en mois." in response.content.decode()
    response = client_a.post(
        f"{ADMIN}types/ajouter/",
        {
            "name": "Avis d’imposition",
            "holder": "family",
            "validity": "duration",
            "validity_months": "12",
            "formats": ["pdf"],
            "order": 0,
            "active": "on",
            "mandatory": "on",
            "fiscal_proof": "on",
        },
    )
    assert response.status_code == 302
    created = DocumentType.objects.get(name="Avis d’imposition")
    assert created.collectivity == world.insurance.collectivity and created.fiscal_proof
    listing = client_a.get(f"{ADMIN}types/").content.decode()
    assert "Avis d’imposition" in listing and "Justificatif B" not in listing
    assert client_a.get(f"{ADMIN}types/{world.type_b.pk}/").status_code == 404


def test_other_collectivitys_rows_answer_404(client_a, world):
    client_a.force_login(world.agent)
    far_file = world.far_doc.files.get()
    assert client_a.get(f"{ADMIN}documents/{world.far_doc.pk}/").status_code == 404
    assert client_a.get(f"{ADMIN}fichiers/{far_file.pk}/").status_code == 404
    assert client_a.get(f"{ADMIN}fichiers/{far_file.pk}/telecharger/").status_code == 404
    assert client_a.post(f"{ADMIN}documents/{world.far_doc.pk}/accepter/").status_code == 404


def test_module_off_hides_the_back_office(client_a, world, collectivity_a):
    client_a.force_login(world.agent)
    assert '"/admin/pieces/"' in client_a.get("/admin/").content.decode()
    collectivity_a.module_documents = False
    collectivity_a.save()
    assert client_a.get(ADMIN).status_code == 404
    assert "/admin/pieces/" not in client_a.get("/admin/").content.decode()


def _many(world, count):
    from tests.pieces.factories import DocumentTypeFactory

    for index in range(count):
        document_type = DocumentTypeFactory(
            collectivity=world.insurance.collectivity, name=f"Pièce {index}"
        )
        document_upload(
            family=world.own.family,
            document_type=document_type,
            uploads=[pdf_upload(), pdf_upload("verso.pdf")],
            by=world.own.user,
        )


def test_the_pages_query_count_does_not_grow_with_rows(client_a, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for extra in (1, 6):
        _many(world, extra)
        client_a.force_login(world.agent)
        client_a.get(ADMIN)  # warm the caches (content types, site) before counting
        with CaptureQueriesContext(connection) as queue:
            assert client_a.get(ADMIN, {"etat": "all"}).status_code == 200
        client_a.force_login(world.own.user)
        client_a.get("/famille/pieces-justificatives/")
        with CaptureQueriesContext(connection) as listing:
            assert client_a.get("/famille/pieces-justificatives/").status_code == 200
        counts.append((len(queue), len(listing)))
    assert counts[0] == counts[1], counts
