"""The family quotient's periods of validity: set by an agent from a date (the open period
closes the day before), refused before the latest period's start, started by an accepted
fiscal-data change request on the first day of the month, shown on the family's back-office
card and, with « depuis le … », in the parent's dossier. Another collectivity's family is a
404."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from family.models import ChangeRequest, FiscalData, QuotientPeriod
from family.services import (
    QuotientError,
    change_request_accept,
    change_request_submit,
    quotient_set,
)
from notifications.models import TimelineEvent
from portal.models import Membership
from portal.services import membership_grant
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def family(collectivity_a):
    return FamilyFactory(collectivity=collectivity_a, name="Dupont")


@pytest.fixture
def agent(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


def _periods(family):
    return [
        (p.value, p.valid_from, p.valid_to)
        for p in QuotientPeriod.objects.filter(family=family).order_by("valid_from")
    ]


# --- the service --------------------------------------------------------------------------


def test_a_new_value_closes_the_open_period_the_day_before(family, agent_a):
    quotient_set(family=family, value="650", valid_from=D(2026, 9, 1), by=agent_a)
    quotient_set(family=family, value=Decimal("820.50"), valid_from=D(2027, 1, 1), by=agent_a)
    assert _periods(family) == [
        (Decimal("650.00"), D(2026, 9, 1), D(2026, 12, 31)),
        (Decimal("820.50"), D(2027, 1, 1), None),
    ]
    assert FiscalData.objects.get(family=family).family_quotient == Decimal("820.50")
    event = (
        TimelineEvent.objects.filter(family_id=family.pk, verb="quotient_set").order_by("pk").last()
    )
    assert event.actor == agent_a
    assert event.message == "Quotient familial : 820,50\u00a0€ à partir du 01/01/2027."


def test_the_same_start_corrects_the_latest_period(family, agent_a):
    quotient_set(family=family, value="650", valid_from=D(2026, 9, 1), by=agent_a)
    quotient_set(family=family, value="700", valid_from=D(2026, 9, 1), by=agent_a)
    assert _periods(family) == [(Decimal("700.00"), D(2026, 9, 1), None)]
    assert (
        "corrigé" in TimelineEvent.objects.filter(verb="quotient_set").order_by("pk").last().message
    )


def test_a_date_before_the_latest_start_is_refused(family, agent_a):
    quotient_set(family=family, value="650", valid_from=D(2026, 9, 1), by=agent_a)
    with pytest.raises(QuotientError) as error:
        quotient_set(family=family, value="900", valid_from=D(2026, 8, 31), by=agent_a)
    assert error.value.message == (
        "Le quotient familial de 650,00\u00a0€ s’applique depuis le 01/09/2026 : un nouveau "
        "quotient commence ce jour-là ou après, pas le 31/08/2026."
    )
    assert _periods(family) == [(Decimal("650.00"), D(2026, 9, 1), None)]
    assert FiscalData.objects.get(family=family).family_quotient == Decimal("650.00")
    with pytest.raises(QuotientError, match="négatif"):
        quotient_set(family=family, value="-1", valid_from=D(2026, 10, 1), by=agent_a)
    assert QuotientPeriod.objects.count() == 1


@time_machine.travel(datetime.datetime(2027, 2, 17, 10, tzinfo=datetime.UTC), tick=False)
def test_an_accepted_change_request_starts_a_period_on_the_first_of_the_month(
    family, collectivity_a, agent_a
):
    collectivity_a.parents_may_edit_fiscal_data = True
    collectivity_a.save()
    family.collectivity.refresh_from_db()
    quotient_set(family=family, value="650", valid_from=D(2026, 9, 1), by=agent_a)

    def submit(values):
        request = change_request_submit(
            family=family, target=ChangeRequest.Target.FISCAL, new_values=values, by=UserFactory()
        )
        change_request_accept(change_request=request, by=agent_a)

    submit({"family_quotient": "910.00"})
    assert _periods(family) == [
        (Decimal("650.00"), D(2026, 9, 1), D(2027, 1, 31)),
        (Decimal("910.00"), D(2027, 2, 1), None),
    ]
    assert FiscalData.objects.get(family=family).family_quotient == Decimal("910.00")
    # Another field of the fiscal data: the quotient's history does not move.
    submit({"allowance_number": "1234567"})
    assert len(_periods(family)) == 2
    # A second change the same month corrects this month's value.
    submit({"family_quotient": "930.00"})
    assert _periods(family)[-1] == (Decimal("930.00"), D(2027, 2, 1), None)
    assert len(_periods(family)) == 2


@time_machine.travel(datetime.datetime(2027, 2, 17, 10, tzinfo=datetime.UTC), tick=False)
def test_a_quotient_removed_by_a_change_request_closes_the_open_period(
    family, collectivity_a, agent_a
):
    collectivity_a.parents_may_edit_fiscal_data = True
    collectivity_a.save()
    family.collectivity.refresh_from_db()
    quotient_set(family=family, value="650", valid_from=D(2026, 9, 1), by=agent_a)
    request = change_request_submit(
        family=family,
        target=ChangeRequest.Target.FISCAL,
        new_values={"family_quotient": None},
        by=UserFactory(),
    )
    change_request_accept(change_request=request, by=agent_a)
    assert _periods(family) == [(Decimal("650.00"), D(2026, 9, 1), D(2027, 1, 31))]
    assert FiscalData.objects.get(family=family).family_quotient is None
    assert TimelineEvent.objects.filter(verb="quotient_cleared").exists()


# --- the back office ----------------------------------------------------------------------


def test_the_family_card_shows_the_history_and_adds_a_value(agent, family, agent_a):
    quotient_set(family=family, value="650", valid_from=D(2026, 9, 1), by=agent_a)
    page = agent.get(f"/admin/familles/{family.pk}/").content.decode()
    assert "Quotient familial" in page and "650,00" in page and "01/09/2026" in page
    assert f'action="/admin/familles/{family.pk}/quotient/"' in page
    response = agent.post(
        f"/admin/familles/{family.pk}/quotient/", {"value": "812,40", "valid_from": "2027-01-01"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/admin/familles/{family.pk}/#quotient-title"
    assert _periods(family)[-1] == (Decimal("812.40"), D(2027, 1, 1), None)
    page = agent.get(f"/admin/familles/{family.pk}/").content.decode()
    assert "31/12/2026" in page and "en cours" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"value": "700", "valid_from": "2026-08-01"}, "s’applique depuis le 01/09/2026"),
        ({"value": "-3", "valid_from": "2026-10-01"}, "ne peut pas être négatif"),
        ({"value": "abc", "valid_from": "2026-10-01"}, "Saisissez un quotient familial"),
        ({"value": "700", "valid_from": ""}, "Indiquez le premier jour de validité"),
        ({"value": "", "valid_from": "2026-10-01"}, "Indiquez le quotient familial."),
    ],
)
def test_bad_input_changes_nothing(agent, family, agent_a, data, message):
    quotient_set(family=family, value="650", valid_from=D(2026, 9, 1), by=agent_a)
    response = agent.post(f"/admin/familles/{family.pk}/quotient/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _periods(family) == [(Decimal("650.00"), D(2026, 9, 1), None)]


def test_another_collectivitys_family_answers_404(agent, collectivity_b, client_a):
    foreign = FamilyFactory(collectivity=collectivity_b, name="InterditeB")
    url = f"/admin/familles/{foreign.pk}/quotient/"
    assert agent.get(url).status_code == 404
    response = agent.post(url, {"value": "500", "valid_from": "2026-10-01"})
    assert response.status_code == 404
    assert not QuotientPeriod.objects.exists()
    other = UserFactory(email="agent.b@example.test")
    membership_grant(user=other, collectivity=collectivity_b, role=Membership.Role.AGENT)
    client_a.force_login(other)
    assert client_a.get(url).status_code == 403


# --- the parent's dossier -----------------------------------------------------------------


def test_the_dossier_shows_the_current_quotient_since(client_a, family, agent_a, collectivity_a):
    parent = UserFactory()
    SubscriptionFactory(user=parent, family=family)
    other = FamilyFactory(collectivity=collectivity_a, name="Durand")
    quotient_set(family=other, value="444", valid_from=D(2026, 3, 15), by=agent_a)
    client_a.force_login(parent)
    page = client_a.get("/famille/dossier/").content.decode()
    assert "depuis le" not in page
    quotient_set(family=family, value="650", valid_from=D(2026, 9, 1), by=agent_a)
    quotient_set(family=family, value="820", valid_from=D(2027, 1, 15), by=agent_a)
    page = client_a.get("/famille/dossier/").content.decode()
    assert "820,00" in page and "depuis le 15 janvier 2027" in page
    assert "444" not in page
    quotient_set(family=family, value="830", valid_from=D(2027, 2, 1), by=agent_a)
    page = client_a.get("/famille/dossier/").content.decode()
    assert "depuis le 1er février 2027" in page
