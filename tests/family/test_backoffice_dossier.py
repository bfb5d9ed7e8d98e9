"""Agents' back office for dossier changes: the queue, decisions (one and bulk), the family's
history, health data (need-to-know, logged) and the authorisation types."""

from datetime import date

from django.urls import reverse

import pytest

from family.models import (
    AuthorizationType,
    ChangeRequest,
    Child,
    ChildAuthorization,
    FamilyCreationRequest,
    Guardian,
    HealthAccessLog,
    HealthRecord,
)
from family.services import change_request_accept, change_request_submit
from notifications.models import OutboxEmail, TimelineEvent
from portal.models import Membership
from portal.services import membership_grant
from tests.portal.factories import FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db
Target = ChangeRequest.Target
Status = ChangeRequest.Status
QUEUE = "/admin/familles/demandes/"


def make_family(collectivity, name, *, children=1):
    family = FamilyFactory(collectivity=collectivity, name=name)
    Guardian.objects.create(
        family=family,
        rank=1,
        first_name="Claire",
        last_name=name,
        address="1 rue A",
        postal_code="45000",
        city="Orléans",
    )
    for index in range(children):
        Child.objects.create(
            family=family,
            first_name=f"Enfant{index}",
            last_name=name,
            birth_date=date(2016, 1, 1 + index % 28),
        )
    return family


def address_request(family, address="2 rue B", by=None):
    return change_request_submit(
        family=family,
        target=Target.GUARDIAN,
        object_id=family.guardians.get(rank=1).pk,
        new_values={"address": address},
        by=by or UserFactory(),
    )


def health_request(child, allergies="arachide"):
    return change_request_submit(
        family=child.family,
        target=Target.HEALTH,
        child=child,
        new_values={"allergies": allergies, "has_pai": True},
        by=UserFactory(),
    )


@pytest.fixture
def family_a(collectivity_a):
    return make_family(collectivity_a, "Dupont")


@pytest.fixture
def family_b(collectivity_b):
    return make_family(collectivity_b, "Bêtafamille")


@pytest.fixture
def agent_client(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


@pytest.fixture
def health_agent(agent_a, collectivity_a):
    membership_grant(user=agent_a, collectivity=collectivity_a, role=Membership.Role.HEALTH)
    return agent_a


def test_queue_lists_only_this_collectivitys_pending_requests(
    agent_client, family_a, family_b, collectivity_a, collectivity_b
):
    pending = address_request(family_a, "2 rue B")
    decided = address_request(make_family(collectivity_a, "Martin"), "9 rue Décidée")
    change_request_accept(change_request=decided, by=None)
    address_request(family_b, "99 rue Bêta")
    FamilyCreationRequest.objects.create(
        collectivity=collectivity_a,
        user=UserFactory(email="creation.a@example.test"),
        status=FamilyCreationRequest.Status.PENDING,
        data={"guardians": [{"first_name": "Anne", "last_name": "Nouvelle"}], "children": []},
    )
    FamilyCreationRequest.objects.create(
        collectivity=collectivity_b,
        user=UserFactory(email="creation.b@example.test"),
        status=FamilyCreationRequest.Status.PENDING,
    )
    response = agent_client.get(QUEUE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "1 rue A → 2 rue B" in content
    assert "Adresse" in content  # the field's verbose name
    assert "Claire Dupont (responsable 1)" in content
    assert "creation.a@example.test" in content and "Anne Nouvelle" in content
    assert "99 rue Bêta" not in content and "Bêtafamille" not in content
    assert "creation.b@example.test" not in content
    assert "9 rue Décidée" not in content
    assert reverse("family_admin:request_detail", args=[pending.pk]) in content

    only_creations = agent_client.get(QUEUE, {"objet": "creation"}).content.decode()
    assert "creation.a@example.test" in only_creations and "2 rue B" not in only_creations
    by_family = agent_client.get(QUEUE, {"famille": family_a.pk}).content.decode()
    assert "2 rue B" in by_family and "creation.a@example.test" not in by_family
    by_kind = agent_client.get(QUEUE, {"objet": "child"}).content.decode()
    assert "2 rue B" not in by_kind


def test_queue_shows_labels_booleans_choices_and_authorisations(
    agent_client, family_a, collectivity_a, health_agent
):
    child = family_a.children.get()
    photos = AuthorizationType.objects.create(collectivity=collectivity_a, label="Droit à l’image")
    change_request_submit(
        family=family_a,
        target=Target.AUTHORIZATIONS,
        child=child,
        new_values={f"auth_{photos.pk}": True},
        by=UserFactory(),
    )
    change_request_submit(
        family=family_a,
        target=Target.CHILD,
        object_id=child.pk,
        child=child,
        new_values={"sex": "F", "birth_date": date(2016, 2, 3)},
        by=UserFactory(),
    )
    content = agent_client.get(QUEUE).content.decode()
    assert "Droit à l’image</strong> : Non → Oui" in content
    assert "Sexe</strong> : <em>(vide)</em> → Fille" in content
    assert "Date de naissance</strong> : 01/01/2016 → 03/02/2016" in content


def test_other_collectivitys_request_answers_404(client_a, agent_a, family_b, agent_b, client_b):
    request_b = address_request(family_b)
    client_a.force_login(agent_a)
    assert (
        client_a.get(reverse("family_admin:request_detail", args=[request_b.pk])).status_code == 404
    )
    for name in ("request_accept", "request_refuse"):
        url = reverse(f"family_admin:{name}", args=[request_b.pk])
        assert client_a.post(url, {"reason": "Non"}).status_code == 404
    assert (
        client_a.get(reverse("family_admin:request_photo", args=[request_b.pk])).status_code == 404
    )
    response = client_a.post(
        reverse("family_admin:requests_bulk"), {"request": [request_b.pk], "action": "accept"}
    )
    assert response.status_code == 302
    request_b.refresh_from_db()
    assert request_b.status == Status.PENDING
    assert family_b.guardians.get().address == "1 rue A"
    # B's own agent reaches it on B's host.
    client_b.force_login(agent_b)
    assert (
        client_b.get(reverse("family_admin:request_detail", args=[request_b.pk])).status_code == 200
    )


def test_editor_and_parent_are_refused(client_a, editor_a, family_a):
    change_request = address_request(family_a)
    detail = reverse("family_admin:request_detail", args=[change_request.pk])
    accept = reverse("family_admin:request_accept", args=[change_request.pk])
    client_a.force_login(editor_a)
    for url in (QUEUE, detail, reverse("family_admin:authorization_types")):
        response = client_a.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/", url
    assert client_a.post(accept).status_code == 302
    parent = UserFactory()
    client_a.force_login(parent)
    assert client_a.get(QUEUE).status_code == 403
    assert client_a.post(accept).status_code == 403
    change_request.refresh_from_db()
    assert change_request.status == Status.PENDING
    assert family_a.guardians.get().address == "1 rue A"


def test_accept_applies_the_change_and_records_the_event(agent_client, agent_a, family_a):
    change_request = address_request(family_a)
    detail = reverse("family_admin:request_detail", args=[change_request.pk])
    page = agent_client.get(detail).content.decode()
    assert "1 rue A → 2 rue B" in page and "Accepter" in page and "Refuser" in page
    assert (
        agent_client.get(
            reverse("family_admin:request_accept", args=[change_request.pk])
        ).status_code
        == 405
    )

    response = agent_client.post(reverse("family_admin:request_accept", args=[change_request.pk]))
    assert response.status_code == 302
    assert family_a.guardians.get().address == "2 rue B"
    change_request.refresh_from_db()
    assert change_request.status == Status.ACCEPTED and change_request.decided_by == agent_a
    assert TimelineEvent.objects.filter(
        family_id=family_a.pk, verb="change_accepted", actor=agent_a
    ).exists()

    # A second submit (double click, another agent) changes nothing and says why.
    events = TimelineEvent.objects.count()
    response = agent_client.post(
        reverse("family_admin:request_accept", args=[change_request.pk]), follow=True
    )
    assert "Cette demande a déjà été traitée (Acceptée)." in response.content.decode()
    assert TimelineEvent.objects.count() == events
    response = agent_client.post(
        reverse("family_admin:request_refuse", args=[change_request.pk]),
        {"reason": "Trop tard"},
        follow=True,
    )
    assert "déjà été traitée" in response.content.decode()
    change_request.refresh_from_db()
    assert change_request.status == Status.ACCEPTED and change_request.refusal_reason == ""


def test_refuse_needs_a_reason_that_the_parent_reads(client_a, agent_a, family_a):
    parent = UserFactory(email="parent@example.test")
    change_request = address_request(family_a, by=parent)
    url = reverse("family_admin:request_refuse", args=[change_request.pk])
    client_a.force_login(agent_a)
    events, emails = TimelineEvent.objects.count(), OutboxEmail.objects.count()
    response = client_a.post(url, {"reason": "   "})
    assert response.status_code == 400
    assert "Indiquez le motif du refus : la famille le lira." in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    change_request.refresh_from_db()
    assert change_request.status == Status.PENDING and change_request.refusal_reason == ""
    assert (TimelineEvent.objects.count(), OutboxEmail.objects.count()) == (events, emails)

    response = client_a.post(url, {"reason": "Justificatif de domicile manquant."})
    assert response.status_code == 302
    change_request.refresh_from_db()
    assert change_request.status == Status.REFUSED
    assert change_request.refusal_reason == "Justificatif de domicile manquant."
    assert family_a.guardians.get().address == "1 rue A"
    # The parent reads the reason in the next digest (no e-mail of its own).
    decision = TimelineEvent.objects.get(verb="change_refused", digest=True)
    assert decision.family_id == family_a.pk and "Justificatif de domicile" in decision.message
    history = client_a.get(reverse("family_admin:detail", args=[family_a.pk])).content.decode()
    assert "Refusée" in history and "Justificatif de domicile manquant." in history


def test_bulk_accept_reports_successes_and_failures(agent_client, agent_a, collectivity_a):
    families = [make_family(collectivity_a, name) for name in ("Alpha", "Bravo", "Charlie")]
    requests = [address_request(f, f"{i} avenue Neuve") for i, f in enumerate(families, 1)]
    change_request_accept(change_request=requests[0], by=agent_a)  # already decided
    requests[0].refresh_from_db()
    decided_at = requests[0].decided_at
    response = agent_client.post(
        reverse("family_admin:requests_bulk"),
        {"request": [r.pk for r in requests], "action": "accept", "filters": ""},
        follow=True,
    )
    content = response.content.decode()
    assert "2 demande(s) acceptée(s)." in content
    assert "1 demande(s) non traitée(s)" in content
    assert "Alpha" in content and "Cette demande a déjà été traitée (Acceptée)." in content
    for request in requests:
        request.refresh_from_db()
        assert request.status == Status.ACCEPTED
    requests[0].refresh_from_db()
    assert requests[0].decided_at == decided_at
    assert families[1].guardians.get().address == "2 avenue Neuve"
    assert families[2].guardians.get().address == "3 avenue Neuve"
    assert (
        TimelineEvent.objects.filter(verb="change_accepted", actor=agent_a).count() == 3
    )  # one per request, none twice


def test_bulk_refuse_needs_one_reason_and_applies_it_to_all(agent_client, collectivity_a):
    families = [make_family(collectivity_a, name) for name in ("Alpha", "Bravo")]
    requests = [address_request(f) for f in families]
    url = reverse("family_admin:requests_bulk")
    content = agent_client.post(
        url, {"request": [r.pk for r in requests], "action": "refuse", "reason": ""}, follow=True
    ).content.decode()
    assert "aucune demande n’a été refusée" in content
    assert ChangeRequest.objects.filter(status=Status.PENDING).count() == 2
    content = agent_client.post(url, {"action": "refuse"}, follow=True).content.decode()
    assert "Cochez au moins une demande." in content
    content = agent_client.post(
        url,
        {"request": [r.pk for r in requests], "action": "refuse", "reason": "Pièce manquante"},
        follow=True,
    ).content.decode()
    assert "2 demande(s) refusée(s)." in content
    assert set(ChangeRequest.objects.values_list("status", "refusal_reason")) == {
        (Status.REFUSED, "Pièce manquante")
    }


def test_health_values_hidden_and_decisions_refused_without_the_role(agent_client, family_a):
    child = family_a.children.get()
    HealthRecord.objects.create(child=child, allergies="pollen")
    change_request = health_request(child)
    content = agent_client.get(QUEUE).content.decode()
    assert "Données sanitaires (accès restreint)" in content
    assert "arachide" not in content and "pollen" not in content
    assert f'name="request" value="{change_request.pk}"' not in content
    detail = agent_client.get(
        reverse("family_admin:request_detail", args=[change_request.pk])
    ).content.decode()
    assert "arachide" not in detail and ">Accepter<" not in detail
    response = agent_client.post(reverse("family_admin:request_accept", args=[change_request.pk]))
    assert response.status_code == 403
    response = agent_client.post(
        reverse("family_admin:request_refuse", args=[change_request.pk]), {"reason": "Non"}
    )
    assert response.status_code == 403
    content = agent_client.post(
        reverse("family_admin:requests_bulk"),
        {"request": [change_request.pk], "action": "accept"},
        follow=True,
    ).content.decode()
    assert "accès restreint" in content
    change_request.refresh_from_db()
    assert change_request.status == Status.PENDING
    assert HealthRecord.objects.get(child=child).allergies == "pollen"

    family_page = agent_client.get(reverse("family_admin:detail", args=[family_a.pk]))
    family_page = family_page.content.decode()
    assert "Accès restreint aux agents habilités" in family_page and "pollen" not in family_page
    assert agent_client.get(reverse("family_admin:health_logs")).status_code == 403
    assert not HealthAccessLog.objects.exists()


def test_health_values_shown_and_logged_with_the_role(
    agent_client, health_agent, family_a, collectivity_a, collectivity_b
):
    child = family_a.children.get()
    second = Child.objects.create(family=family_a, first_name="Zoé", last_name="Dupont")
    HealthRecord.objects.create(
        child=child, allergies="pollen", has_pai=True, pai_details="Ventoline"
    )
    change_request = health_request(child)
    other = make_family(collectivity_b, "Bêtafamille").children.get()
    HealthAccessLog.objects.create(collectivity=collectivity_b, user=None, child=other)

    content = agent_client.get(QUEUE).content.decode()
    assert "Allergies</strong> : pollen → arachide" in content
    assert HealthAccessLog.objects.filter(collectivity=collectivity_a).count() == 1

    family_page = agent_client.get(reverse("family_admin:detail", args=[family_a.pk]))
    family_page = family_page.content.decode()
    assert "pollen" in family_page and "Ventoline" in family_page
    logs = HealthAccessLog.objects.filter(collectivity=collectivity_a, user=health_agent)
    assert logs.count() == 3  # the queue's row, then one per child displayed
    assert set(logs.values_list("child", flat=True)) == {child.pk, second.pk}

    page = agent_client.get(reverse("family_admin:health_logs")).content.decode()
    assert "agent.a@example.test" in page and "Zoé" in page and "Bêtafamille" not in page

    response = agent_client.post(reverse("family_admin:request_accept", args=[change_request.pk]))
    assert response.status_code == 302
    record = HealthRecord.objects.get(child=child)
    assert record.allergies == "arachide" and record.has_pai is True


def test_authorisation_types_are_managed_in_scope(
    agent_client, agent_a, collectivity_a, collectivity_b
):
    other = AuthorizationType.objects.create(collectivity=collectivity_b, label="Type de Bêta")
    list_url = reverse("family_admin:authorization_types")
    add_url = reverse("family_admin:authorization_type_add")

    response = agent_client.post(
        add_url,
        {
            "label": "Rentrer seul",
            "description": "L’enfant peut rentrer seul.",
            "order": "2",
            "active": "on",
            "collectivity": collectivity_b.pk,  # ignored: never taken from the form
        },
    )
    assert response.status_code == 302
    created = AuthorizationType.objects.get(label="Rentrer seul")
    assert created.collectivity == collectivity_a and created.active and created.order == 2

    count = AuthorizationType.objects.count()
    response = agent_client.post(add_url, {"label": " ", "order": "1"})
    assert "Indiquez le libellé de l’autorisation." in response.content.decode()
    response = agent_client.post(add_url, {"label": "rentrer seul", "order": "1"})
    assert "Une autorisation porte déjà ce libellé." in response.content.decode()
    assert AuthorizationType.objects.count() == count

    listing = agent_client.get(list_url).content.decode()
    assert "Rentrer seul" in listing and "Type de Bêta" not in listing

    edit_url = reverse("family_admin:authorization_type_edit", args=[created.pk])
    assert "L’enfant peut rentrer seul." in agent_client.get(edit_url).content.decode()
    agent_client.post(
        edit_url,
        {"label": "Rentrer seul après l’école", "description": "", "order": "3", "active": "on"},
    )
    created.refresh_from_db()
    assert (created.label, created.order, created.description) == (
        "Rentrer seul après l’école",
        3,
        "",
    )
    deactivate_url = reverse("family_admin:authorization_type_deactivate", args=[created.pk])
    assert "ne sera plus proposée aux parents" in agent_client.get(deactivate_url).content.decode()
    agent_client.post(deactivate_url)
    created.refresh_from_db()
    assert created.active is False
    assert (
        TimelineEvent.objects.filter(
            collectivity=collectivity_a, verb="authorization_type_updated", actor=agent_a
        ).count()
        == 2
    )

    for url in (
        reverse("family_admin:authorization_type_edit", args=[other.pk]),
        reverse("family_admin:authorization_type_deactivate", args=[other.pk]),
    ):
        assert agent_client.get(url).status_code == 404
        assert agent_client.post(url, {"label": "Pris", "order": "0"}).status_code == 404
    other.refresh_from_db()
    assert other.label == "Type de Bêta" and other.active


def test_menu_shows_the_pending_count(agent_client, family_a, editor_a, client_a):
    address_request(family_a)
    health_request(family_a.children.get())
    content = agent_client.get("/admin/").content.decode()
    # The sidebar's items are JSON in the page (accents escaped).
    assert "Demandes \\u00e0 traiter (2)" in content
    assert "Consultations des données sanitaires" not in content  # no health role
    client_a.force_login(editor_a)
    assert "traiter (" not in client_a.get("/admin/").content.decode()


def _fill(collectivity, families: int):
    auth = AuthorizationType.objects.create(collectivity=collectivity, label=f"Photos {families}")
    for index in range(families):
        family = make_family(collectivity, f"Famille{families}-{index}", children=2)
        child = family.children.first()
        address_request(family)
        health_request(child)
        change_request_submit(
            family=family,
            target=Target.AUTHORIZATIONS,
            child=child,
            new_values={f"auth_{auth.pk}": True},
            by=UserFactory(),
        )
        change_request_submit(
            family=family,
            target=Target.CHILD,
            object_id=child.pk,
            new_values={"school_class": "CM2"},
            by=UserFactory(),
        )
        ChildAuthorization.objects.create(child=child, authorization_type=auth, granted=False)


def test_queue_query_count_does_not_grow(
    agent_client, health_agent, collectivity_a, django_assert_max_num_queries
):
    _fill(collectivity_a, 2)
    with django_assert_max_num_queries(40) as small:
        assert agent_client.get(QUEUE).status_code == 200
    _fill(collectivity_a, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert agent_client.get(QUEUE).status_code == 200


def test_family_page_query_count_does_not_grow(
    agent_client, health_agent, collectivity_a, django_assert_max_num_queries
):
    family = make_family(collectivity_a, "Grande", children=1)
    auth = AuthorizationType.objects.create(collectivity=collectivity_a, label="Photos")

    def add_children(count):
        for index in range(count):
            child = Child.objects.create(family=family, first_name=f"C{index}", last_name="G")
            HealthRecord.objects.create(child=child, allergies="aucune")
            ChildAuthorization.objects.create(child=child, authorization_type=auth, granted=True)
            health_request(child, allergies=f"allergie {index}")
            address_request(family, f"{index} rue Longue")

    url = reverse("family_admin:detail", args=[family.pk])
    add_children(2)
    with django_assert_max_num_queries(40) as small:
        assert agent_client.get(url).status_code == 200
    add_children(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        content = agent_client.get(url).content.decode()
    assert "Demandes de modification" in content and "Historique" in content
