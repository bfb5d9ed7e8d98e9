"""« Dossier famille », parent side: every edit is a pending change request shown in yellow;
scoping, validation, photos, fiscal read-only, cancellation."""

import io
import os
from datetime import date, timedelta

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

import pytest
from PIL import Image

from family.models import (
    AuthorizationType,
    AuthorizedAdult,
    BankDetails,
    ChangeRequest,
    Child,
    ChildAuthorization,
    ChildPhoto,
    FiscalData,
    Guardian,
    HealthRecord,
)
from family.services import change_request_accept, change_request_refuse
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
Target = ChangeRequest.Target
Status = ChangeRequest.Status
SUCCESS = (
    "Votre demande de modification a été envoyée à la collectivité : elle sera visible "
    "après validation."
)
VALID_IBAN = "FR76 3000 6000 0112 3456 7890 189"


def _family(collectivity, name="Dupont"):
    family = FamilyFactory(collectivity=collectivity, name=name)
    Guardian.objects.create(
        family=family,
        rank=1,
        first_name="Sophie",
        last_name=name,
        address="1 rue des Lilas",
        postal_code="45000",
        city="Orléans",
        is_payer=True,
    )
    Guardian.objects.create(family=family, rank=2, first_name="Marc", last_name=name)
    child = Child.objects.create(
        family=family, first_name="Léa", last_name=name, birth_date=date(2016, 3, 14)
    )
    HealthRecord.objects.create(child=child, allergies="Arachide")
    AuthorizedAdult.objects.create(
        child=child,
        first_name="Jeanne",
        last_name="Martin",
        relation="Grand-mère",
        phone="0612345678",
    )
    return family


@pytest.fixture
def world(collectivity_a, collectivity_b):
    """The parent's family, another family of the same collectivity, and one of B."""
    family = _family(collectivity_a)
    other = _family(collectivity_a, name="Durand")
    foreign = _family(collectivity_b, name="Bernard")
    photos = AuthorizationType.objects.create(
        collectivity=collectivity_a, label="Droit à l’image", order=1
    )
    AuthorizationType.objects.create(collectivity=collectivity_a, label="Ancienne", active=False)
    AuthorizationType.objects.create(collectivity=collectivity_b, label="Transport (Bêta)")
    parent = UserFactory(email="sophie@example.test")
    SubscriptionFactory(user=parent, family=family)
    return {
        "family": family,
        "other": other,
        "foreign": foreign,
        "parent": parent,
        "photos": photos,
        "guardian": family.guardians.get(rank=1),
        "child": family.children.get(),
    }


@pytest.fixture
def client(client_a, world):
    client_a.force_login(world["parent"])
    return client_a


def _image(fmt="JPEG", size=(40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def _upload(name, content, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


# --- the dossier page


def test_dossier_shows_guardians_children_and_the_tile(client, world):
    response = client.get(reverse("family:space"))
    assert reverse("family:dossier") in response.content.decode()
    response = client.get(reverse("family:dossier"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Sophie", "1 rue des Lilas", "Léa", "Arachide", "Jeanne", "Droit à l’image"):
        assert text in html
    assert "Durand" not in html and "Bernard" not in html
    assert "Transport (Bêta)" not in html and "Ancienne" not in html


def test_dossier_needs_a_family(client_a, collectivity_a):
    user = UserFactory()
    client_a.force_login(user)
    response = client_a.get(reverse("family:dossier"))
    assert "family/no_family.html" in [t.name for t in response.templates]


def test_another_family_cannot_be_chosen(client, world):
    for family in (world["other"], world["foreign"]):
        response = client.get(reverse("family:dossier"), {"famille": family.pk})
        assert response.status_code == 404


# --- each form: happy path (pending, dossier unchanged, shown in yellow)


def test_guardian_address_edit_is_pending_and_shown_in_yellow(client, world):
    guardian = world["guardian"]
    url = reverse("family:dossier_guardian_address", args=[guardian.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="1 rue des Lilas"' in form.content.decode()
    response = client.post(
        url, {"address": "8 avenue Foch", "postal_code": "45100", "city": "Orléans"}, follow=True
    )
    assert SUCCESS in response.content.decode()
    request = ChangeRequest.objects.get(family=world["family"])
    assert request.status == Status.PENDING and request.target == Target.GUARDIAN
    assert request.changes == {
        "address": {"old": "1 rue des Lilas", "new": "8 avenue Foch"},
        "postal_code": {"old": "45000", "new": "45100"},
    }
    guardian.refresh_from_db()
    assert guardian.address == "1 rue des Lilas"
    html = client.get(reverse("family:dossier")).content.decode()
    assert "1 rue des Lilas" in html
    assert 'class="pending"' in html
    assert "En attente de validation :</strong> 8 avenue Foch" in html
    # The form starts from the pending value, and says so.
    form = client.get(url).content.decode()
    assert 'value="8 avenue Foch"' in form
    assert "en attente de validation" in form


def test_guardian_basic_info_edit(client, world):
    guardian = world["guardian"]
    url = reverse("family:dossier_guardian_basic", args=[guardian.pk])
    data = {
        "civility": "mme",
        "last_name": "Dupont",
        "first_name": "Sophie",
        "birth_date": "1985-05-02",
        "email": "sophie@example.test",
        "phone_mobile": "06 12 34 56 78",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert request.changes["birth_date"]["new"] == "1985-05-02"
    assert request.changes["phone_mobile"]["new"] == "06 12 34 56 78"
    guardian.refresh_from_db()
    assert guardian.birth_date is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "pas-un-email", "Saisissez une adresse de courriel valide."),
        ("phone_mobile", "12", "Numéro de téléphone invalide"),
        ("birth_date", "2999-01-01", "La date de naissance ne peut pas être dans le futur."),
    ],
)
def test_guardian_basic_info_invalid(client, world, field, value, message):
    url = reverse("family:dossier_guardian_basic", args=[world["guardian"].pk])
    data = {"last_name": "Dupont", "first_name": "Sophie", field: value}
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and 'role="alert"' in html and 'aria-invalid="true"' in html
    assert not ChangeRequest.objects.exists()


def test_postal_code_must_have_five_digits(client, world):
    url = reverse("family:dossier_guardian_address", args=[world["guardian"].pk])
    response = client.post(url, {"address": "2 rue B", "postal_code": "450", "city": "Orléans"})
    assert "Code postal invalide" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_unchanged_values_are_refused(client, world):
    url = reverse("family:dossier_guardian_address", args=[world["guardian"].pk])
    response = client.post(
        url, {"address": "1 rue des Lilas", "postal_code": "45000", "city": "Orléans"}
    )
    assert "Aucune modification" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_bank_details_prefilled_from_payer_and_pending(client, world):
    url = reverse("family:dossier_bank")
    html = client.get(url).content.decode()
    assert 'value="Sophie Dupont"' in html
    assert "1 rue des Lilas 45000 Orléans" in html
    response = client.post(
        url,
        {
            "holder_name": "Sophie Dupont",
            "holder_address": "1 rue des Lilas 45000 Orléans",
            "iban": VALID_IBAN,
            "bic": "agrifrpp",
        },
    )
    assert response.status_code == 302
    request = ChangeRequest.objects.get(target=Target.BANK)
    assert request.changes["iban"]["new"] == "FR7630006000011234567890189"
    assert request.changes["bic"]["new"] == "AGRIFRPP"
    assert not BankDetails.objects.exists()
    html = client.get(reverse("family:dossier")).content.decode()
    assert "En attente de validation :</strong> FR76 •••• 0189" in html


def test_invalid_iban_is_refused(client, world):
    response = client.post(
        reverse("family:dossier_bank"),
        {"holder_name": "Sophie Dupont", "iban": "FR76 3000 6000 0112 3456 7890 188"},
    )
    assert "IBAN invalide" in response.content.decode()
    assert not ChangeRequest.objects.exists() and not BankDetails.objects.exists()


def test_child_general_edit_and_future_birth_date(client, world):
    child = world["child"]
    url = reverse("family:dossier_child_general", args=[child.pk])
    assert 'value="2016-03-14"' in client.get(url).content.decode()
    future = (date.today() + timedelta(days=2)).isoformat()
    response = client.post(url, {"last_name": "Dupont", "first_name": "Léa", "birth_date": future})
    assert "La date de naissance ne peut pas être dans le futur." in response.content.decode()
    assert not ChangeRequest.objects.exists()
    response = client.post(
        url,
        {"last_name": "Dupont", "first_name": "Léa", "birth_date": "2016-03-14", "school": "Ferry"},
    )
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert request.changes == {"school": {"old": "", "new": "Ferry"}}
    child.refresh_from_db()
    assert child.school == ""
    assert (
        "En attente de validation :</strong> Ferry"
        in client.get(reverse("family:dossier")).content.decode()
    )


def test_authorizations_edit(client, world):
    child, photos = world["child"], world["photos"]
    url = reverse("family:dossier_child_authorizations", args=[child.pk])
    html = client.get(url).content.decode()
    assert "Droit à l’image" in html and "Ancienne" not in html and "<fieldset" in html
    response = client.post(url, {f"auth_{photos.pk}": "oui"})
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert request.target == Target.AUTHORIZATIONS
    assert request.changes == {f"auth_{photos.pk}": {"old": False, "new": True}}
    assert not ChildAuthorization.objects.exists()
    assert (
        "En attente de validation :</strong> Oui"
        in client.get(reverse("family:dossier")).content.decode()
    )


def test_health_edit(client, world):
    child = world["child"]
    url = reverse("family:dossier_child_health", args=[child.pk])
    response = client.post(
        url, {"allergies": "Arachide, kiwi", "diet": "no_pork", "doctor_phone": "02 38 00 00 00"}
    )
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert request.changes["allergies"]["new"] == "Arachide, kiwi"
    assert HealthRecord.objects.get(child=child).allergies == "Arachide"
    html = client.get(reverse("family:dossier")).content.decode()
    assert "En attente de validation :</strong> Sans porc" in html


def test_authorized_adult_add_edit_remove(client, world, agent_a):
    child = world["child"]
    adult = child.authorized_adults.get()
    data = {"last_name": "Petit", "first_name": "Paul", "relation": "Oncle", "phone": "0611111111"}
    response = client.post(reverse("family:dossier_adult_add", args=[child.pk]), data)
    assert response.status_code == 302
    html = client.get(reverse("family:dossier")).content.decode()
    assert "Ajout en attente de validation" in html and "Paul" in html
    response = client.post(
        reverse("family:dossier_adult_edit", args=[child.pk, adult.pk]),
        {
            "last_name": "Martin",
            "first_name": "Jeanne",
            "relation": "Grand-mère",
            "phone": "0699999999",
            "may_pick_up": "on",
        },
    )
    assert response.status_code == 302
    remove_url = reverse("family:dossier_adult_remove", args=[child.pk, adult.pk])
    assert "Demander le retrait" in client.get(remove_url).content.decode()
    assert client.post(remove_url).status_code == 302
    assert child.authorized_adults.count() == 1
    html = client.get(reverse("family:dossier")).content.decode()
    assert "Suppression en attente de validation" in html
    assert "En attente de validation :</strong> 0699999999" in html
    added = ChangeRequest.objects.get(action="create")
    change_request_accept(change_request=added, by=agent_a)
    assert child.authorized_adults.filter(first_name="Paul").exists()


def test_fiscal_data_read_only(client, world, collectivity_a):
    url = reverse("family:dossier_fiscal")
    html = client.get(reverse("family:dossier")).content.decode()
    assert "pièces justificatives" in html and url not in html
    assert "pièces justificatives" in client.get(url).content.decode()
    response = client.post(url, {"reference_tax_income": "25000"}, follow=True)
    assert "pièces justificatives" in response.content.decode()
    assert not ChangeRequest.objects.exists() and not FiscalData.objects.exists()


def test_fiscal_data_editable_when_allowed(client, world, collectivity_a):
    collectivity_a.parents_may_edit_fiscal_data = True
    collectivity_a.save()
    FiscalData.objects.create(family=world["family"], tax_shares="2.50")
    url = reverse("family:dossier_fiscal")
    response = client.post(url, {"tax_shares": "2.5", "reference_tax_income": "25000"})
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert request.changes == {"reference_tax_income": {"old": None, "new": "25000.00"}}


# --- photos


def test_photo_upload_is_pending_and_served_privately(client, world, agent_a, client_b):
    child = world["child"]
    url = reverse("family:dossier_child_photo_edit", args=[child.pk])
    # A PNG with a misleading name: the content decides.
    response = client.post(url, {"photo": _upload("photo.pdf", _image("PNG"), "application/pdf")})
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert request.target == Target.PHOTO
    assert request.changes == {"content_type": {"old": None, "new": "image/png"}}
    assert not ChildPhoto.objects.exists()
    photo_url = reverse("family:dossier_child_photo", args=[child.pk])
    assert client.get(photo_url).status_code == 404
    pending = client.get(photo_url, {"en_attente": "1"})
    assert pending.status_code == 200 and pending["Content-Type"] == "image/png"
    assert "private" in pending["Cache-Control"]
    assert b"".join(pending.streaming_content).startswith(b"\x89PNG")
    html = client.get(reverse("family:dossier")).content.decode()
    assert "Nouvelle photo de Léa" in html and "/media/" not in html
    # A second photo replaces the pending one.
    client.post(url, {"photo": _upload("b.jpg", _image("JPEG"), "image/jpeg")})
    assert ChangeRequest.objects.filter(status=Status.PENDING).count() == 1
    change_request_accept(
        change_request=ChangeRequest.objects.get(status=Status.PENDING), by=agent_a
    )
    current = client.get(photo_url)
    assert current.status_code == 200 and current["Content-Type"] == "image/jpeg"
    # Another family's parent gets nothing.
    stranger = UserFactory()
    SubscriptionFactory(user=stranger, family=world["other"])
    client.force_login(stranger)
    assert client.get(photo_url).status_code == 404


def test_renamed_pdf_is_refused(client, world):
    url = reverse("family:dossier_child_photo_edit", args=[world["child"].pk])
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    response = client.post(url, {"photo": _upload("photo.jpg", pdf, "image/jpeg")})
    assert response.status_code == 200
    assert "n’est pas une image JPEG ou PNG" in response.content.decode()
    assert not ChangeRequest.objects.exists() and not ChildPhoto.objects.exists()


def test_truncated_jpeg_is_refused(client, world):
    url = reverse("family:dossier_child_photo_edit", args=[world["child"].pk])
    response = client.post(
        url, {"photo": _upload("a.jpg", b"\xff\xd8\xff" + b"x" * 50, "image/jpeg")}
    )
    assert "n’est pas une image JPEG ou PNG" in response.content.decode()
    assert not ChangeRequest.objects.exists()


@override_settings(PORTAL_PHOTO_MAX_BYTES=1000)
def test_too_big_photo_is_refused(client, world):
    url = reverse("family:dossier_child_photo_edit", args=[world["child"].pk])
    buffer = io.BytesIO()
    Image.frombytes("RGB", (60, 60), os.urandom(60 * 60 * 3)).save(buffer, format="PNG")
    big = buffer.getvalue()
    assert len(big) > 1000
    response = client.post(url, {"photo": _upload("a.png", big, "image/png")})
    assert "La photo est trop volumineuse" in response.content.decode()
    assert not ChangeRequest.objects.exists()


# --- scoping: another family's objects answer 404, GET and POST


def _foreign_urls(world, key):
    family = world[key]
    guardian = family.guardians.get(rank=1)
    child = family.children.get()
    adult = child.authorized_adults.get()
    return [
        reverse("family:dossier_guardian_basic", args=[guardian.pk]),
        reverse("family:dossier_guardian_address", args=[guardian.pk]),
        reverse("family:dossier_child_general", args=[child.pk]),
        reverse("family:dossier_child_authorizations", args=[child.pk]),
        reverse("family:dossier_child_health", args=[child.pk]),
        reverse("family:dossier_adult_add", args=[child.pk]),
        reverse("family:dossier_adult_edit", args=[child.pk, adult.pk]),
        reverse("family:dossier_adult_remove", args=[child.pk, adult.pk]),
        reverse("family:dossier_child_photo_edit", args=[child.pk]),
        reverse("family:dossier_child_photo", args=[child.pk]),
    ]


@pytest.mark.parametrize("key", ["other", "foreign"])
def test_other_families_objects_answer_404(client, world, key):
    child = world[key].children.get()
    ChildPhoto.objects.create(child=child, content_type="image/png", file="photos/x.png")
    for url in _foreign_urls(world, key):
        assert client.get(url).status_code == 404, url
        response = client.post(url, {"last_name": "X", "first_name": "Y", "address": "Z"})
        assert response.status_code in (404, 405), url
    assert (
        client.post(reverse("family:dossier_bank"), {"famille": world[key].pk}).status_code == 404
    )
    # Own child, other family's adult.
    own_child = world["child"]
    adult = child.authorized_adults.get()
    url = reverse("family:dossier_adult_edit", args=[own_child.pk, adult.pk])
    assert client.get(url).status_code == 404
    assert not ChangeRequest.objects.exists()


def test_other_families_request_cannot_be_cancelled(client, world, collectivity_a):
    from family.services import change_request_submit

    other = world["other"]
    request = change_request_submit(
        family=other,
        target=Target.GUARDIAN,
        object_id=other.guardians.get(rank=1).pk,
        new_values={"city": "Tours"},
        by=None,
    )
    url = reverse("family:dossier_request_cancel", args=[request.pk])
    assert client.post(url).status_code == 404
    assert client.post(url, {"famille": other.pk}).status_code == 404
    request.refresh_from_db()
    assert request.status == Status.PENDING


# --- pending values, refusal, cancellation


def test_second_edit_shows_only_the_latest_pending_value(client, world):
    url = reverse("family:dossier_guardian_address", args=[world["guardian"].pk])
    client.post(url, {"address": "2 rue B", "postal_code": "45000", "city": "Orléans"})
    client.post(url, {"address": "3 rue C", "postal_code": "45000", "city": "Orléans"})
    html = client.get(reverse("family:dossier")).content.decode()
    assert "En attente de validation :</strong> 3 rue C" in html
    assert "2 rue B" not in html
    statuses = sorted(ChangeRequest.objects.values_list("status", flat=True))
    assert statuses == [Status.PENDING, Status.SUPERSEDED]


def test_refused_request_shows_its_reason(client, world, agent_a):
    url = reverse("family:dossier_guardian_address", args=[world["guardian"].pk])
    client.post(url, {"address": "2 rue B", "postal_code": "45000", "city": "Orléans"})
    change_request_refuse(
        change_request=ChangeRequest.objects.get(), by=agent_a, reason="Justificatif manquant"
    )
    html = client.get(reverse("family:dossier")).content.decode()
    assert "Refusée par la collectivité : Justificatif manquant" in html
    assert "En attente de validation :</strong>" not in html
    # Older than 30 days: no longer shown.
    ChangeRequest.objects.update(decided_at=timezone.now() - timedelta(days=31))
    html = client.get(reverse("family:dossier")).content.decode()
    assert "Justificatif manquant" not in html


def test_cancel_a_pending_request(client, world):
    url = reverse("family:dossier_guardian_address", args=[world["guardian"].pk])
    client.post(url, {"address": "2 rue B", "postal_code": "45000", "city": "Orléans"})
    request = ChangeRequest.objects.get()
    html = client.get(reverse("family:dossier")).content.decode()
    assert "Annuler la demande" in html
    response = client.post(reverse("family:dossier_request_cancel", args=[request.pk]), follow=True)
    assert "Votre demande de modification a été annulée." in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
    assert "En attente de validation :</strong>" not in response.content.decode()


def test_cancel_a_decided_request_is_refused(client, world, agent_a):
    url = reverse("family:dossier_guardian_address", args=[world["guardian"].pk])
    client.post(url, {"address": "2 rue B", "postal_code": "45000", "city": "Orléans"})
    request = ChangeRequest.objects.get()
    change_request_accept(change_request=request, by=agent_a)
    response = client.post(reverse("family:dossier_request_cancel", args=[request.pk]), follow=True)
    assert "Cette demande a déjà été traitée (Acceptée)." in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
    world["guardian"].refresh_from_db()
    assert world["guardian"].address == "2 rue B"


def test_anonymous_is_sent_to_log_in(client_a, world):
    response = client_a.get(reverse("family:dossier"))
    assert response.status_code == 302 and "connexion" in response["Location"]


# --- Hostile inputs (issue #11, item 7): a French error, no change request


def test_health_notes_of_a_million_characters_refused(client, world):
    """A 1,000,000-character « observations médicales » was accepted (model TextField, no
    limit in the form): the form now caps every text area at 2,000 characters."""
    url = reverse("family:dossier_child_health", args=[world["child"].pk])
    response = client.post(url, {"allergies": "Arachide", "medical_notes": "x" * 1_000_000})
    assert response.status_code == 200
    assert "au plus 2000 caractères" in response.content.decode()
    assert not ChangeRequest.objects.exists()
    form_html = client.get(url).content.decode()
    assert 'maxlength="2000"' in form_html


def test_health_notes_keep_line_breaks_and_emoji_sequences(client, world):
    url = reverse("family:dossier_child_health", args=[world["child"].pk])
    notes = "Asthme léger.\r\nVentoline dans le sac 👨\u200d👩\u200d👧"
    response = client.post(url, {"allergies": "Arachide", "medical_notes": notes})
    assert response.status_code == 302
    assert ChangeRequest.objects.get().changes["medical_notes"]["new"] == notes


@pytest.mark.parametrize("postal_code", ["７５００１", "٤٥٦٣٠"])
def test_dossier_postal_code_in_non_ascii_digits_refused(client, world, postal_code):
    url = reverse("family:dossier_guardian_address", args=[world["guardian"].pk])
    response = client.post(
        url, {"address": "2 rue B", "postal_code": postal_code, "city": "Orléans"}
    )
    assert "Code postal invalide : 5 chiffres de 0 à 9" in response.content.decode()
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("birth_date", ["0001-01-01", "1800-01-01"])
def test_dossier_birth_date_in_year_1_or_1800_refused(client, world, birth_date):
    guardian_url = reverse("family:dossier_guardian_basic", args=[world["guardian"].pk])
    response = client.post(
        guardian_url, {"last_name": "Dupont", "first_name": "Sophie", "birth_date": birth_date}
    )
    assert "postérieure au 1er janvier 1900" in response.content.decode()
    child_url = reverse("family:dossier_child_general", args=[world["child"].pk])
    response = client.post(
        child_url, {"last_name": "Dupont", "first_name": "Léa", "birth_date": birth_date}
    )
    assert "un enfant est né il y a moins de 30 ans" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_authorized_adult_with_invisible_name_refused(client, world):
    child = world["child"]
    adult = child.authorized_adults.get()
    url = reverse("family:dossier_adult_edit", args=[child.pk, adult.pk])
    response = client.post(
        url,
        {
            "last_name": "\u200b",
            "first_name": "Jeanne\u202d",
            "relation": "Grand-mère",
            "phone": "0612345678",
        },
    )
    html = response.content.decode()
    assert "caractères invisibles" in html and "inversent le sens d’écriture" in html
    assert not ChangeRequest.objects.exists()


def _section(html: str, anchor: str) -> str:
    """The HTML of the element with id ``anchor`` up to the next section of the same page."""
    start = html.index(f'id="{anchor}"')
    end = html.find('<section class="dossier-section"', start + 1)
    return html[start : end if end != -1 else len(html)]


def test_the_message_is_shown_where_the_parent_lands(client, world):
    # The dossier is long: after an edit the parent comes back to the section they edited,
    # and the confirmation is there, not at the top of the page (issue #16, item 14).
    guardian = world["guardian"]
    anchor = f"responsable-{guardian.pk}-adresse"
    response = client.post(
        reverse("family:dossier_guardian_address", args=[guardian.pk]),
        {"address": "8 avenue Foch", "postal_code": "45100", "city": "Orléans"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#{anchor}")
    html = client.get(response["Location"]).content.decode()
    top = html[: html.index('id="sommaire-titre"')]
    assert SUCCESS not in top
    assert SUCCESS in _section(html, anchor)
    assert html.count(SUCCESS) == 1
    # Shown once: the next visit has no message.
    assert SUCCESS not in client.get(reverse("family:dossier")).content.decode()


def test_the_dossier_has_a_table_of_contents(client, world):
    html = client.get(reverse("family:dossier")).content.decode()
    toc = html[html.index('class="dossier-toc"') : html.index("</nav>", html.index("dossier-toc"))]
    for anchor in (
        "#responsables",
        "#finances",
        "#enfants",
        f"#responsable-{world['guardian'].pk}",
    ):
        assert f'href="{anchor}"' in toc
        assert f'id="{anchor[1:]}"' in html
    child = world["family"].children.first()
    assert f'href="#enfant-{child.pk}"' in toc


def test_a_message_for_a_section_that_is_gone_stays_at_the_top(client, world):
    guardian = world["guardian"]
    client.post(
        reverse("family:dossier_guardian_address", args=[guardian.pk]),
        {"address": "8 avenue Foch", "postal_code": "45100", "city": "Orléans"},
    )
    client.get(reverse("family:dossier"))  # the success message is consumed here
    pending = ChangeRequest.objects.get(family=world["family"])
    response = client.post(reverse("family:dossier_request_cancel", args=[pending.pk]))
    html = client.get(response["Location"]).content.decode()
    # No request left: the « demandes » section is gone, the message is at the top.
    assert 'id="demandes"' not in html
    top = html[: html.index('id="sommaire-titre"')]
    assert "Votre demande de modification a été annulée." in top
