"""« Espace famille » → « Pièces justificatives »: the five states, the filters without
JavaScript, the upload, the files; never another family's or another collectivity's."""

import datetime

import pytest
import time_machine

from notifications.models import OutboxEmail
from pieces.models import DocumentFile, SupportingDocument
from pieces.services import document_accept, document_refuse, document_upload
from tests.pieces.factories import pdf_upload

pytestmark = pytest.mark.django_db
URL = "/famille/pieces-justificatives/"


def test_the_list_shows_the_familys_and_each_childs_documents(client_a, world):
    client_a.force_login(world.own.user)
    page = client_a.get(URL).content.decode()
    assert "Attestation d’assurance" in page and "Carnet de vaccination" in page
    assert world.own.child.first_name in page
    assert page.count("A compléter") >= 2
    assert "Interdite" not in page and "Lointaine" not in page and "Justificatif B" not in page


def test_filters_by_state_type_and_mandatory_without_javascript(client_a, world):
    document_upload(
        family=world.own.family,
        document_type=world.insurance,
        uploads=[pdf_upload()],
        by=world.own.user,
    )
    client_a.force_login(world.own.user)
    page = client_a.get(URL, {"etat": "pending"}).content.decode()
    assert "Attestation d’assurance</h3>" in page and "Carnet de vaccination</h3>" not in page
    page = client_a.get(URL, {"obligatoire": "on"}).content.decode()
    assert "Attestation d’assurance</h3>" in page and "Carnet de vaccination</h3>" not in page
    page = client_a.get(URL, {"document": world.vaccines.pk}).content.decode()
    assert "Carnet de vaccination</h3>" in page and "Attestation d’assurance</h3>" not in page
    page = client_a.get(URL, {"etat": "refused"}).content.decode()
    assert "Aucune pièce justificative ne correspond à ces filtres." in page


def test_upload_makes_the_document_pending_with_its_event_and_email(client_a, world):
    client_a.force_login(world.own.user)
    url = f"{URL}{world.insurance.pk}/"
    response = client_a.post(url, {"fichiers": [pdf_upload("recto.pdf"), pdf_upload("verso.pdf")]})
    assert response.status_code == 302
    document = SupportingDocument.objects.get(family=world.own.family)
    assert document.status == "pending"
    assert [f.original_name for f in document.files.all()] == ["recto.pdf", "verso.pdf"]
    stored = document.files.first().file.name
    assert stored.startswith("documents/") and "recto" not in stored and stored.endswith(".pdf")
    page = client_a.get(url).content.decode()
    assert "En cours de validation" in page
    assert 'capture="environment"' in page and 'accept="application/pdf,.pdf' in page
    from notifications.models import TimelineEvent

    assert TimelineEvent.objects.filter(verb="document_submitted", subject_id=document.pk).exists()
    assert OutboxEmail.objects.filter(
        family_id=world.own.family.pk, subject__contains="Accusé de réception de votre pièce"
    ).exists()
    requests = client_a.get("/mon-espace/demandes/").content.decode()
    assert "Pièce justificative : Attestation d’assurance" in requests


def test_the_child_document_and_a_refusal_reason(client_a, world):
    child = world.own.child
    document = document_upload(
        family=world.own.family,
        document_type=world.vaccines,
        child=child,
        uploads=[pdf_upload()],
        by=world.own.user,
    )
    document_refuse(document=document, by=world.agent, reason="Page illisible, renvoyez-la.")
    client_a.force_login(world.own.user)
    page = client_a.get(URL, {"etat": "refused"}).content.decode()
    assert "Invalide" in page and "Page illisible, renvoyez-la." in page
    detail = client_a.get(f"{URL}{world.vaccines.pk}/enfants/{child.pk}/").content.decode()
    assert "Page illisible, renvoyez-la." in detail


def test_a_document_past_its_validity_reads_obsolete(client_a, world):
    world.insurance.validity = "duration"
    world.insurance.validity_months = 12
    world.insurance.save()
    with time_machine.travel(datetime.datetime(2025, 9, 1, 10, tzinfo=datetime.UTC)):
        document = document_upload(
            family=world.own.family,
            document_type=world.insurance,
            uploads=[pdf_upload()],
            by=world.own.user,
        )
        document = document_accept(document=document, by=world.agent)
    assert document.valid_until == datetime.date(2026, 8, 31)
    client_a.force_login(world.own.user)
    with time_machine.travel(datetime.datetime(2026, 9, 2, 10, tzinfo=datetime.UTC)):
        page = client_a.get(URL, {"etat": "obsolete"}).content.decode()
    assert "Obsolète" in page and "Attestation d’assurance" in page


def test_download_is_an_attachment_with_nosniff(client_a, world):
    document = document_upload(
        family=world.own.family,
        document_type=world.insurance,
        uploads=[pdf_upload()],
        by=world.own.user,
    )
    row = document.files.get()
    client_a.force_login(world.own.user)
    response = client_a.get(f"{URL}fichiers/{row.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_another_familys_and_another_collectivitys_rows_answer_404(client_a, world):
    client_a.force_login(world.own.user)
    other_file = world.other_doc.files.get()
    far_file = world.far_doc.files.get()
    assert DocumentFile.objects.filter(pk__in=[other_file.pk, far_file.pk]).count() == 2
    assert client_a.get(f"{URL}fichiers/{other_file.pk}/").status_code == 404
    assert client_a.get(f"{URL}fichiers/{far_file.pk}/").status_code == 404
    assert client_a.post(f"{URL}fichiers/{other_file.pk}/retirer/").status_code == 404
    assert client_a.get(f"{URL}{world.type_b.pk}/").status_code == 404
    other_child = world.other.child
    assert client_a.get(f"{URL}{world.vaccines.pk}/enfants/{other_child.pk}/").status_code == 404
    assert client_a.get(URL, {"famille": world.other.family.pk}).status_code == 404
    # A family-level type asked for a child, or the reverse, is not a page.
    assert client_a.get(f"{URL}{world.vaccines.pk}/").status_code == 404


def test_module_off_answers_404_and_hides_the_menu_entry(client_a, world, collectivity_a):
    client_a.force_login(world.own.user)
    assert "/famille/pieces-justificatives/" in client_a.get("/famille/").content.decode()
    collectivity_a.module_documents = False
    collectivity_a.save()
    assert client_a.get(URL).status_code == 404
    assert client_a.get(f"{URL}{world.insurance.pk}/").status_code == 404
    assert "/famille/pieces-justificatives/" not in client_a.get("/famille/").content.decode()
    assert "/famille/pieces-justificatives/" not in client_a.get("/").content.decode()
