"""The « Facturations » back office: creating a run (reversed dates refused, nothing created),
the preview with its totals and anomalies, « Émettre » (confirmation, double click), the
progress page that refreshes itself, the issued run's invoices; another collectivity's run
answers 404."""

import datetime

from django.test import TestCase

import pytest
import time_machine

from billing.models import Invoice, InvoicingRun
from billing.services.runs import run_create
from tests.billing.run_fixtures import (
    NOVEMBER,
    TODAY,
    activity_make,
    book,
    child_make,
    family_make,
    regie_make,
    tariff_make,
)

pytestmark = pytest.mark.django_db
BASE = "/admin/facturation/facturations/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def agent(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


@pytest.fixture
def world(collectivity_a):
    regie = regie_make(collectivity_a)
    canteen = activity_make(collectivity_a, name="Restauration scolaire")
    tariff_make(canteen, no_quotient="block")
    family = family_make(collectivity_a, "Dupont", qf="650", email="lea@example.test")
    book(child_make(family), canteen, datetime.date(2026, 11, 3))
    blocked = family_make(collectivity_a, "Martin", qf=None)
    book(child_make(blocked, "Jules"), canteen, datetime.date(2026, 11, 3))
    return {"regie": regie, "canteen": canteen, "family": family}


@pytest.fixture
def foreign(collectivity_b):
    regie = regie_make(collectivity_b)
    activity = activity_make(collectivity_b, name="Cantine Bêta")
    return run_create(
        regie=regie,
        label="Facturation InterditeB",
        period_start=NOVEMBER[0],
        period_end=NOVEMBER[1],
        activities=[activity],
        bill_unrecorded=True,
        due_date=datetime.date(2026, 12, 31),
    )


def form_data(world, **values):
    return {
        "regie": world["regie"].pk,
        "label": "Novembre 2026",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "activities": [world["canteen"].pk],
        "bill_unrecorded": "on",
        "due_date": "2026-12-31",
        **values,
    }


def test_the_journey_create_preview_issue_progress(agent, world, foreign):
    page = agent.get(BASE + "nouvelle/").content.decode()
    assert "Restauration scolaire" in page and "Cantine Bêta" not in page
    response = agent.post(BASE + "nouvelle/", form_data(world))
    assert response.status_code == 302
    run = InvoicingRun.objects.get(regie=world["regie"])
    preview = agent.get(response["Location"]).content.decode()
    assert "Quotient familial manquant" in preview and "Martin" in preview
    assert "2,00" in preview and "Dupont" in preview
    assert "http-equiv" not in preview
    confirm = agent.get(BASE + f"{run.pk}/?confirmer=1").content.decode()
    assert "Confirmer l’émission" in confirm or "Confirmer l’émission" in confirm
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = agent.post(BASE + f"{run.pk}/emettre/")
    assert response.status_code == 302
    # The second click (or the other agent's) only finds the run issued.
    response = agent.post(BASE + f"{run.pk}/emettre/", follow=True)
    assert "déjà émise" in response.content.decode()
    assert Invoice.objects.filter(run=run).count() == 1
    page = agent.get(BASE + f"{run.pk}/").content.decode()
    invoice = Invoice.objects.get(run=run)
    assert invoice.number in page and "<progress" in page and "2 / 2" in page
    listing = agent.get(BASE).content.decode()
    assert "Novembre 2026" in listing and "InterditeB" not in listing


def test_the_progress_page_refreshes_itself_while_issuing(agent, world):
    run = run_create(
        regie=world["regie"],
        label="Novembre 2026",
        period_start=NOVEMBER[0],
        period_end=NOVEMBER[1],
        activities=[world["canteen"]],
        bill_unrecorded=True,
        due_date=datetime.date(2026, 12, 31),
    )
    InvoicingRun.objects.filter(pk=run.pk).update(
        status=InvoicingRun.Status.ISSUING, progress_done=312, progress_total=1000
    )
    page = agent.get(BASE + f"{run.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert 'max="1000" value="312"' in page
    assert "312 / 1\u202f000" in page or "312 / 1\xa0000" in page or "312 / 1 000" in page
    response = agent.post(BASE + f"{run.pk}/emettre/", follow=True)
    assert "déjà en cours" in response.content.decode()


def test_reversed_dates_are_refused_in_french_and_create_nothing(agent, world):
    response = agent.post(
        BASE + "nouvelle/", form_data(world, period_start="2026-11-30", period_end="2026-11-01")
    )
    assert response.status_code == 400
    assert "La fin de la période précède son début." in response.content.decode()
    assert not InvoicingRun.objects.exists()


def test_another_collectivitys_activity_or_regie_is_refused(agent, world, foreign):
    other_activity = foreign.activities.get()
    response = agent.post(BASE + "nouvelle/", form_data(world, activities=[other_activity.pk]))
    assert response.status_code == 400
    response = agent.post(BASE + "nouvelle/", form_data(world, regie=foreign.regie_id))
    assert response.status_code == 400
    assert InvoicingRun.objects.count() == 1


def test_another_collectivitys_run_answers_404(agent, world, foreign):
    assert agent.get(BASE + f"{foreign.pk}/").status_code == 404
    for action in ("recalculer", "emettre", "supprimer"):
        assert agent.post(BASE + f"{foreign.pk}/{action}/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == InvoicingRun.Status.DRAFT


def test_recompute_and_delete_a_draft(agent, world):
    agent.post(BASE + "nouvelle/", form_data(world))
    run = InvoicingRun.objects.get()
    book(world["family"].children.get(), world["canteen"], datetime.date(2026, 11, 5))
    agent.post(BASE + f"{run.pk}/recalculer/")
    assert "4,00" in agent.get(BASE + f"{run.pk}/").content.decode()
    response = agent.post(BASE + f"{run.pk}/supprimer/")
    assert response.status_code == 302 and not InvoicingRun.objects.exists()
