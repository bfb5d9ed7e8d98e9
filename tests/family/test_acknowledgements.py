"""Acknowledgements of dossier changes and of the family-space creation form (issue #12,
item 2): they say what was asked — the part of the dossier, whose, « old → new » — in the
text and the HTML part alike, and never any health value."""

import re
from datetime import date

import pytest

from family.models import (
    AuthorizationType,
    BankDetails,
    ChangeRequest,
    Child,
    FamilyCreationRequest,
    Guardian,
    HealthRecord,
)
from family.services import change_request_submit, creation_submit
from notifications.models import OutboxEmail
from tests.portal.factories import FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db
Target = ChangeRequest.Target


@pytest.fixture
def parent():
    return UserFactory(email="marie.dupont@example.test", first_name="Marie", last_name="Dupont")


@pytest.fixture
def family(collectivity_a):
    collectivity_a.name_with_article = "la Ville d’Alpha"
    collectivity_a.save()
    return FamilyFactory(collectivity=collectivity_a, name="Dupont")


@pytest.fixture
def lea(family):
    return Child.objects.create(
        family=family, first_name="Léa", last_name="Dupont", birth_date=date(2018, 5, 4)
    )


def latest(parent) -> OutboxEmail:
    return OutboxEmail.objects.filter(to=[parent.email]).latest("pk")


def bodies(email: OutboxEmail) -> list[str]:
    """The text part, and the words of the HTML part."""
    html = " ".join(re.sub(r"<[^>]+>", " ", email.body_html).split())
    return [email.body_text, html.replace("&#x27;", "'")]


def test_a_guardian_change_says_whose_and_old_to_new(family, parent):
    guardian = Guardian.objects.create(
        family=family, rank=1, last_name="Dupont", first_name="Marie", city="Paris"
    )
    change_request_submit(
        family=family,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"city": "Orléans", "phone_work": "02 38 00 00 00"},
        by=parent,
    )
    email = latest(parent)
    link = f"http://localhost/famille/dossier/?famille={family.pk}"
    for body in bodies(email):
        assert "Bonjour Marie Dupont," in body
        assert "Elle sera étudiée par la Ville d’Alpha" in body
        assert "Partie du dossier : Responsable — Marie Dupont" in body
        assert "Commune : Paris → Orléans" in body
        assert "Téléphone professionnel : non renseigné → 02 38 00 00 00" in body
        assert link in body


def test_a_bank_change_shows_the_iban_masked(family, parent):
    BankDetails.objects.create(
        family=family, holder_name="Marie Dupont", iban="FR7630006000011234567890189"
    )
    change_request_submit(
        family=family,
        target=Target.BANK,
        new_values={"iban": "FR7630004000031234567890143"},
        by=parent,
    )
    for body in bodies(latest(parent)):
        assert "Partie du dossier : Coordonnées bancaires" in body
        assert "IBAN : FR76 •••• 0189 → FR76 •••• 0143" in body
        assert "30004000031234567890" not in body


def test_an_authorisation_change_names_the_authorisation_and_the_child(
    collectivity_a, family, parent, lea
):
    photos = AuthorizationType.objects.create(collectivity=collectivity_a, label="Droit à l’image")
    change_request_submit(
        family=family,
        target=Target.AUTHORIZATIONS,
        child=lea,
        new_values={f"auth_{photos.pk}": True},
        by=parent,
    )
    for body in bodies(latest(parent)):
        assert "Partie du dossier : Autorisations — Léa" in body
        assert "Droit à l’image : Non → Oui" in body


def test_a_health_change_says_only_that_health_information_changed(family, parent, lea):
    HealthRecord.objects.create(child=lea, allergies="Pollen", doctor_name="Dr Lefèvre")
    change_request_submit(
        family=family,
        target=Target.HEALTH,
        child=lea,
        new_values={
            "allergies": "Arachide et fruits à coque",
            "medical_notes": "Asthme d’effort",
            "doctor_name": "Dr Garnier",
            "has_pai": True,
        },
        by=parent,
    )
    email = latest(parent)
    for body in [email.subject, *bodies(email)]:
        for health in ("Arachide", "Pollen", "Asthme", "Lefèvre", "Garnier", "PAI", "llergies"):
            assert health not in body, health
        assert "→" not in body
    for body in bodies(email):
        assert "Partie du dossier : Données sanitaires — Léa" in body
        assert "Les informations de santé de Léa ont été modifiées." in body


def test_the_creation_acknowledgement_names_the_guardians_and_the_children(collectivity_a, parent):
    request = FamilyCreationRequest.objects.create(
        collectivity=collectivity_a,
        user=parent,
        step=3,
        data={
            "guardians": [
                {"last_name": "Dupont", "first_name": "Marie"},
                {"last_name": "Martin", "first_name": "Paul"},
            ],
            "children": [{"first_name": "Léa"}, {"first_name": "Tom"}],
            "payer": 1,
        },
    )
    creation_submit(request=request, by=parent)
    email = latest(parent)
    for body in bodies(email):
        assert "Bonjour Marie Dupont," in body
        assert "Responsables : Marie Dupont, Paul Martin" in body
        assert "Enfants : Léa, Tom" in body
        assert "http://localhost/famille/creation/" in body
