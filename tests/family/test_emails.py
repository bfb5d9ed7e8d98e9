"""Family's e-mails render their templates in the shared layout: an HTML part, the
collectivity's name in the subject, and an absolute link to the page concerned."""

import pytest

from family.models import ChangeRequest, FamilyCreationRequest, Guardian
from family.services import (
    change_request_accept,
    change_request_refuse,
    change_request_submit,
    creation_accept,
    creation_refuse,
    creation_submit,
)
from notifications.models import OutboxEmail
from tests.notifications.helpers import digest_for
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
Target = ChangeRequest.Target


@pytest.fixture
def parent():
    return UserFactory(email="parent@example.test")


@pytest.fixture
def change_request(collectivity_a, parent):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    SubscriptionFactory(user=parent, family=family)
    guardian = Guardian.objects.create(family=family, rank=1, last_name="Dupont", first_name="Léa")
    OutboxEmail.objects.all().delete()
    return change_request_submit(
        family=family,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"city": "Orléans"},
        by=parent,
    )


@pytest.fixture
def creation_request(collectivity_a, parent):
    data = {
        "guardians": [{"last_name": "Durand", "first_name": "Claire"}],
        "children": [],
        "payer": 1,
    }
    return FamilyCreationRequest.objects.create(
        collectivity=collectivity_a, user=parent, data=data, step=3
    )


def _latest(parent) -> OutboxEmail:
    return OutboxEmail.objects.filter(to=[parent.email]).latest("pk")


def _assert_layout(email: OutboxEmail, *, subject: str, link: str, family=None) -> None:
    assert email.subject == f"[Ville de Alpha] {subject}"
    assert email.body_html and "<html" in email.body_html
    assert f"http://localhost{link}" in email.body_text
    assert f'href="http://localhost{link}' in email.body_html
    assert email.family_id == (family.pk if family is not None else None)


def test_change_received(change_request, parent):
    email = _latest(parent)
    _assert_layout(
        email,
        subject="Accusé de réception de votre demande de modification",
        link=f"/famille/dossier/?famille={change_request.family_id}",
        family=change_request.family,
    )
    assert "Nous avons bien reçu votre demande de modification" in email.body_text


def _assert_digest(email: OutboxEmail, *, link: str, family=None) -> None:
    assert email.subject.startswith("[Ville de Alpha] Récapitulatif : 1 décision")
    assert email.body_html and "<html" in email.body_html
    assert f"http://localhost{link}" in email.body_text
    assert f'href="http://localhost{link}' in email.body_html
    assert email.family_id == (family.pk if family is not None else None)


def test_change_accepted_is_told_in_the_digest(change_request, parent, agent_a):
    change_request_accept(change_request=change_request, by=agent_a)
    assert not OutboxEmail.objects.filter(subject__contains="Réponse").exists()
    email = digest_for(parent.email, change_request.family.collectivity)
    _assert_digest(
        email,
        link=f"/mon-espace/demandes/dossier/{change_request.pk}/",
        family=change_request.family,
    )
    assert "Demande de modification acceptée : Responsable." in email.body_text


def test_change_refused_is_told_in_the_digest_with_its_reason(change_request, parent, agent_a):
    change_request_refuse(change_request=change_request, by=agent_a, reason="Pièce manquante")
    email = digest_for(parent.email, change_request.family.collectivity)
    _assert_digest(
        email,
        link=f"/mon-espace/demandes/dossier/{change_request.pk}/",
        family=change_request.family,
    )
    assert "Motif : Pièce manquante" in email.body_text


def test_creation_received(creation_request, parent):
    creation_submit(request=creation_request, by=parent)
    email = _latest(parent)
    _assert_layout(
        email,
        subject="Accusé de réception de votre demande de création d’espace famille",
        link="/famille/creation/",
    )


def test_creation_accepted_is_told_in_the_new_familys_digest(creation_request, parent, agent_a):
    creation_submit(request=creation_request, by=parent)
    family = creation_accept(request=creation_request, by=agent_a)
    email = digest_for(parent.email, family.collectivity)
    _assert_digest(
        email, link=f"/mon-espace/demandes/creation/{creation_request.pk}/", family=family
    )
    assert "votre espace famille est ouvert" in email.body_text


def test_creation_refused_is_told_to_the_account_in_its_digest(creation_request, parent, agent_a):
    creation_submit(request=creation_request, by=parent)
    creation_refuse(request=creation_request, by=agent_a, reason="Justificatif de domicile")
    email = digest_for(parent.email, creation_request.collectivity)
    _assert_digest(email, link=f"/mon-espace/demandes/creation/{creation_request.pk}/")
    assert "Justificatif de domicile" in email.body_text
