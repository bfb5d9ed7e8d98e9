"""« Mon espace citoyen » → « Mes demandes »: every kind of request, its new messages per
account, its history, the agents' messages, and the notification preferences."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import pytest
import time_machine

from family.models import ChangeRequest, FamilyCreationRequest, Guardian
from family.services import change_request_refuse, change_request_submit
from notifications.models import NotificationPreference, RequestRead, TimelineEvent
from portal.formats import datetime_fr
from tests.planning.factories import ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/mon-espace/demandes/"


@pytest.fixture
def family(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(family=family, rank=1, last_name="Dupont", first_name="Léa")
    ChildFactory(family=family, first_name="Emma")
    return family


@pytest.fixture
def parent(family):
    user = UserFactory(email="lea@example.test", first_name="Léa", last_name="Dupont")
    SubscriptionFactory(user=user, family=family)
    return user


@pytest.fixture
def other_family(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Interdite")
    Guardian.objects.create(family=family, rank=1, last_name="Interdite", first_name="Max")
    return family


def _change(family, by, city="Orléans"):
    return change_request_submit(
        family=family,
        target=ChangeRequest.Target.GUARDIAN,
        object_id=family.guardians.get(rank=1).pk,
        new_values={"city": city},
        by=by,
    )


def test_lists_every_kind_and_never_another_familys(
    client_a, family, parent, other_family, collectivity_a
):
    _change(family, parent)
    _change(other_family, UserFactory(), city="Interdite-ville")
    FamilyCreationRequest.objects.create(
        collectivity=collectivity_a, user=parent, status=FamilyCreationRequest.Status.PENDING
    )
    FamilyCreationRequest.objects.create(
        collectivity=collectivity_a, user=UserFactory(), status="pending"
    )
    client_a.force_login(parent)
    page = client_a.get(URL).content.decode()
    assert page.count('<li class="my-request') == 2
    assert "Modification du dossier : responsable" in page
    assert "Création de l’espace famille" in page
    assert "Interdite" not in page
    forbidden = ChangeRequest.objects.get(family=other_family)
    assert client_a.get(f"{URL}dossier/{forbidden.pk}/").status_code == 404
    assert client_a.get(f"{URL}inconnu/1/").status_code == 404


def test_new_messages_per_account_clear_when_opened(client_a, family, parent, agent_a):
    other_parent = UserFactory(email="marc@example.test")
    SubscriptionFactory(user=other_parent, family=family)
    request = _change(family, parent)
    client_a.force_login(parent)
    assert "nouveau(x) message(s)" not in client_a.get(URL).content.decode()
    change_request_refuse(change_request=request, by=agent_a, reason="Pièce illisible")
    page = client_a.get(URL).content.decode()
    assert "1 nouveau(x) message(s)" in page
    assert "Vous avez 1 nouveau(x) message(s)" in page
    detail = client_a.get(f"{URL}dossier/{request.pk}/").content.decode()
    assert "Pièce illisible" in detail
    assert "vous" in detail and "Ville de Alpha" in detail
    assert "nouveau(x) message(s)" not in client_a.get(URL).content.decode()
    # The other parent never opened it: the request and its refusal are new for that account.
    client_a.force_login(other_parent)
    assert "2 nouveau(x) message(s)" in client_a.get(URL).content.decode()
    assert RequestRead.objects.filter(user=parent).count() == 1


def test_the_agents_message_reaches_the_history_and_the_digest(
    client_a, family, parent, agent_a, client_b, agent_b
):
    request = _change(family, parent)
    url = f"/admin/e-mails/demandes/dossier/{request.pk}/message/"
    client_a.force_login(agent_a)
    page = client_a.get(reverse("family_admin:request_detail", args=[request.pk]))
    assert "Écrire à la famille" in page.content.decode()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        response = client_a.post(
            url, {"message": "Merci d’ajouter l’avis d’imposition.", "next": "/x/"}
        )
    assert response.status_code == 302
    event = TimelineEvent.objects.get(verb="agent_message")
    assert event.digest and event.family_id == family.pk and event.actor == agent_a
    # The message is the request's last change, though nothing was decided.
    client_a.force_login(parent)
    listing = client_a.get(URL).content.decode()
    assert datetime_fr(event.created_at) in listing
    client_a.force_login(agent_a)
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING  # not decided
    # Empty: a French error, nothing written.
    client_a.post(url, {"message": "  ", "next": "/x/"})
    assert TimelineEvent.objects.filter(verb="agent_message").count() == 1
    # Another collectivity's agent cannot write on it (its host answers 403, ours 404).
    client_b.force_login(agent_b)
    assert client_b.post(url, {"message": "Intrus"}).status_code in (403, 404)
    client_a.force_login(agent_b)
    assert client_a.post(url, {"message": "Intrus"}).status_code in (403, 404)
    assert TimelineEvent.objects.filter(verb="agent_message").count() == 1
    client_a.force_login(parent)
    detail = client_a.get(f"{URL}dossier/{request.pk}/").content.decode()
    assert "Informations apportées par votre collectivité" in detail
    assert "avis d’imposition" in detail


def test_filters_by_kind_status_and_child(client_a, family, parent, agent_a, collectivity_a):
    _change(family, parent)
    refused = _change(family, parent, city="Tours")
    change_request_refuse(change_request=refused, by=agent_a, reason="Non")
    FamilyCreationRequest.objects.create(
        collectivity=collectivity_a, user=parent, status=FamilyCreationRequest.Status.PENDING
    )
    client_a.force_login(parent)
    assert (
        client_a.get(URL, {"type": "creation"}).content.decode().count('<li class="my-request') == 1
    )
    assert (
        client_a.get(URL, {"etat": "refused"}).content.decode().count('<li class="my-request') == 1
    )
    page = client_a.get(URL, {"type": "dossier", "etat": "refused"}).content.decode()
    assert page.count('<li class="my-request') == 1
    assert "Retirer les filtres" in page


def test_query_count_does_not_grow_with_requests(client_a, family, parent, agent_a):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client_a.get(URL).status_code == 200
        return len(queries)

    client_a.force_login(parent)
    for city in ("A", "B"):
        change_request_refuse(change_request=_change(family, parent, city), by=agent_a, reason="x")
    count()  # the first page of a site creates its settings rows
    few = count()
    for n in range(15):
        change_request_refuse(
            change_request=_change(family, parent, f"Ville{n}"), by=agent_a, reason="x"
        )
    assert count() == few


def test_preferences_are_per_account(client_a, family, parent):
    client_a.force_login(parent)
    page = client_a.get("/mon-espace/preferences/").content.decode()
    assert "Dans un récapitulatif" in page and "13\u00a0h, 18\u00a0h" in page
    response = client_a.post("/mon-espace/preferences/", {"decisions": "immediate"})
    assert response.status_code == 302
    assert parent.notification_preference.decisions == NotificationPreference.Decisions.IMMEDIATE
    # A value that is not a choice: a French error, nothing changed.
    page = client_a.post("/mon-espace/preferences/", {"decisions": "jamais"}).content.decode()
    assert "Sélectionnez un choix valide" in page
    parent.notification_preference.refresh_from_db()
    assert parent.notification_preference.decisions == "immediate"
    other = UserFactory()
    assert not NotificationPreference.objects.filter(user=other).exists()
