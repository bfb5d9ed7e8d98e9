"""Where parents may change their fiscal data, the change request carries its supporting
document, and the agent sees it beside « ancien → nouveau »; a wrong file refuses the whole
request."""

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from family.models import ChangeRequest
from pieces.models import SupportingDocument
from pieces.services import document_accept, document_upload
from tests.pieces.factories import DocumentTypeFactory, pdf_upload

pytestmark = pytest.mark.django_db
URL = "/famille/dossier/donnees-fiscales/"


@pytest.fixture
def fiscal(world, collectivity_a):
    collectivity_a.parents_may_edit_fiscal_data = True
    collectivity_a.save()
    return DocumentTypeFactory(
        collectivity=collectivity_a, name="Avis d’imposition", fiscal_proof=True, mandatory=False
    )


def test_the_fiscal_change_carries_its_document_and_the_agent_sees_it(client_a, world, fiscal):
    client_a.force_login(world.own.user)
    form = client_a.get(URL).content.decode()
    assert 'enctype="multipart/form-data"' in form and "Pièce justificative" in form
    response = client_a.post(
        URL,
        {
            "famille": world.own.family.pk,
            "reference_tax_income": "25000",
            "justificatif": pdf_upload("avis.pdf"),
        },
    )
    assert response.status_code == 302
    change = ChangeRequest.objects.get(family=world.own.family, target="fiscal")
    document = SupportingDocument.objects.get(change_request=change)
    assert document.document_type == fiscal and document.status == "pending"
    client_a.force_login(world.agent)
    page = client_a.get(f"/admin/familles/demandes/{change.pk}/").content.decode()
    assert "→" in page and "Pièces justificatives jointes" in page
    file_row = document.files.get()
    assert f'<a href="/admin/pieces/fichiers/{file_row.pk}/" target="_blank"' in page


def test_without_the_document_or_with_a_wrong_file_nothing_is_sent(client_a, world, fiscal):
    client_a.force_login(world.own.user)
    data = {"famille": world.own.family.pk, "reference_tax_income": "25000"}
    response = client_a.post(URL, data)
    assert response.status_code == 200
    assert "Joignez la pièce justificative de cette modification." in response.content.decode()
    bad = SimpleUploadedFile("avis.pdf", b"<html>pas un pdf</html>")
    response = client_a.post(URL, {**data, "justificatif": bad})
    assert "n’est pas un fichier accepté" in response.content.decode()
    assert not ChangeRequest.objects.filter(family=world.own.family).exists()
    assert not SupportingDocument.objects.filter(family=world.own.family).exists()


def test_a_missing_blocking_document_blocks_new_pre_enrolments(world):
    from planning.services import enrolments
    from planning.services.enrolments import PlanningError
    from tests.planning.factories import ActivityFactory

    world.insurance.blocks_enrolment = True
    world.insurance.save()
    activity = ActivityFactory(collectivity=world.insurance.collectivity)
    request = {
        "child": world.own.child,
        "activity": activity,
        "start_date": activity.start_date,
        "end_date": activity.end_date,
        "weekdays": [],
        "user": world.own.user,
    }
    with pytest.raises(PlanningError, match="Attestation d’assurance"):
        enrolments.enrolment_request(**request)
    document = document_upload(
        family=world.own.family,
        document_type=world.insurance,
        uploads=[pdf_upload()],
        by=world.own.user,
    )
    document_accept(document=document, by=world.agent)
    assert enrolments.enrolment_request(**request).status == "pending"
