"""The agents' home page: their queues with pending and late counts, the day's occupancy and
the unpaid invoices, for their own collectivity only (issue #16, item 11)."""

import datetime
import re

from django.test import Client
from django.utils import timezone

import pytest
import time_machine

from family.models import ChangeRequest
from planning.models import BookingRequest, Enrolment
from portal.models import Membership
from portal.services import membership_grant
from tests.conftest import HOST_A
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.portal.factories import FamilyFactory, UserFactory

NOW = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)


def _queue_cells(html: str) -> dict[str, str]:
    """{queue label: its counts as read} of the « À traiter » panel."""
    rows = re.findall(
        r'<a class="portal-queues__link" href="[^"]*">([^<]+)</a>\s*'
        r'<span class="portal-queues__count">(.*?)</span>\s*</li>',
        html,
        re.S,
    )
    return {label: re.sub(r"<[^>]+>", "", counts).strip() for label, counts in rows}


def _change_request(family, *, days_ago=0):
    request = ChangeRequest.objects.create(
        family=family, target=ChangeRequest.Target.FISCAL, changes={"family_quotient": "900"}
    )
    ChangeRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return request


@pytest.fixture
def agent_client(agent_a):
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(agent_a)
    return client


@time_machine.travel(NOW, tick=False)
def test_the_home_lists_the_queues_with_their_counts(agent_client, collectivity_a, collectivity_b):
    family = FamilyFactory(collectivity=collectivity_a)
    _change_request(family, days_ago=5)
    _change_request(family)
    # Another collectivity's requests exist and are never counted.
    other = FamilyFactory(collectivity=collectivity_b)
    for _ in range(3):
        _change_request(other, days_ago=9)
    activity = ActivityFactory(collectivity=collectivity_a, name="Cantine Alpha")
    EnrolmentFactory(
        child=ChildFactory(family=family), activity=activity, status=Enrolment.Status.PENDING
    )
    BookingRequest.objects.create(
        family=family,
        activity=activity,
        kind=BookingRequest.Kind.RESERVATION,
        date_from=datetime.date(2026, 12, 7),
        date_to=datetime.date(2026, 12, 7),
    )

    response = agent_client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "À traiter" in html
    cells = _queue_cells(html)
    assert cells["Demandes de modification du dossier"] == (
        "2 en attente, 1 en attente depuis plus de 2 jours"
    )
    assert cells["Demandes de création d’espace famille"] == "rien en attente"
    assert cells["Demandes de réservation et d’absence"] == "1 en attente"
    assert cells["Pré-inscriptions"] == "1 en attente"
    assert "Factures non réglées" in cells


@time_machine.travel(NOW, tick=False)
def test_the_day_panel_shows_todays_slots(agent_client, collectivity_a, collectivity_b):
    activity = ActivityFactory(collectivity=collectivity_a, name="Cantine Alpha", capacity=20)
    slot = SlotFactory(activity=activity, date=datetime.date(2026, 12, 2))
    for _ in range(3):
        BookingFactory(slot=slot, child=ChildFactory(family__collectivity=collectivity_a))
    SlotFactory(
        activity=ActivityFactory(collectivity=collectivity_b, name="Cantine Bêta"),
        date=datetime.date(2026, 12, 2),
    )
    html = agent_client.get("/admin/").content.decode()
    assert "Aujourd’hui" in html and "Mercredi 2 décembre 2026" in html
    assert "Cantine Alpha" in html and "3 / 20" in html
    assert "Cantine Bêta" not in html
    assert f"/admin/enfance/pointage/{slot.pk}/" in html


def test_a_module_off_hides_its_queue(agent_client, collectivity_a):
    collectivity_a.module_billing = False
    collectivity_a.module_enrolment = False
    collectivity_a.save()
    cells = _queue_cells(agent_client.get("/admin/").content.decode())
    assert "Factures non réglées" not in cells
    assert "Pré-inscriptions" not in cells
    assert "Demandes de modification du dossier" in cells


def test_an_editor_who_is_not_an_agent_sees_no_queue(collectivity_a, editor_a):
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(editor_a)
    html = client.get("/admin/").content.decode()
    assert "À traiter" not in html


def test_the_home_costs_the_same_with_more_rows(
    agent_client, collectivity_a, django_assert_max_num_queries
):
    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get("/admin/").status_code == 200
        return len(captured)

    family = FamilyFactory(collectivity=collectivity_a)
    _change_request(family)
    before = count_queries()
    for _ in range(10):
        _change_request(FamilyFactory(collectivity=collectivity_a), days_ago=4)
    assert count_queries() == before


def test_offline_home_has_no_external_avatar(agent_client):
    html = agent_client.get("/admin/").content.decode()
    assert "gravatar" not in html.lower()


def test_health_role_alone_is_not_an_agent(collectivity_a):
    user = UserFactory(email="sante.seule@example.test")
    membership_grant(user=user, collectivity=collectivity_a, role=Membership.Role.HEALTH)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(user)
    response = client.get("/admin/")
    assert "À traiter" not in response.content.decode()
