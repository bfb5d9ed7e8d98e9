"""A run's PDFs are rendered by their own tasks once each batch is numbered (several workers
render side by side); an invoice whose PDF is not rendered yet gets it on first download,
once, and a task that finds it rendered renders nothing."""

from unittest import mock

from django.test import TestCase
from django.urls import reverse

import pytest
import time_machine

from billing.models import Invoice
from billing.pdf import invoices_pdf_render
from billing.services import runs as runs_service
from billing.services.runs import run_issue_start
from billing.tasks import invoices_pdf_render as invoices_pdf_task
from portal.models import Membership
from portal.services import membership_grant
from tests.billing.run_fixtures import TODAY, activity_make, regie_make, tariff_make
from tests.billing.test_runs import draft, families
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def regie(collectivity_a):
    return regie_make(collectivity_a)


@pytest.fixture
def canteen(collectivity_a):
    activity = activity_make(collectivity_a, name="Restauration scolaire")
    tariff_make(activity)
    return activity


@pytest.fixture
def agent_b(collectivity_b):
    user = UserFactory(email="agent.b@example.test")
    membership_grant(user=user, collectivity=collectivity_b, role=Membership.Role.AGENT)
    return user


def issue_without_pdf_tasks(run, by=None):
    with (
        mock.patch.object(runs_service, "_enqueue_pdfs") as queued,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        run_issue_start(run=run, by=by)
    run.refresh_from_db()
    return [ids for (ids,), _kwargs in queued.call_args_list]


def test_each_batch_queues_the_pdfs_of_its_invoices(collectivity_a, regie, canteen):
    families(collectivity_a, canteen, 3)
    run = draft(regie, [canteen])
    with mock.patch.object(runs_service, "ISSUE_BATCH", 2):
        batches = issue_without_pdf_tasks(run)
    invoices = list(Invoice.objects.filter(run=run).order_by("pk").values_list("pk", flat=True))
    assert batches == [invoices[:2], invoices[2:]]
    assert not Invoice.objects.filter(run=run).exclude(pdf="").exists()
    assert invoices_pdf_task(invoices) == 3
    assert all(
        invoice.pdf.open("rb").read(5) == b"%PDF-" for invoice in Invoice.objects.filter(run=run)
    )
    names = set(Invoice.objects.filter(run=run).values_list("pdf", flat=True))
    # Run again (a retried task): nothing is rendered twice, the files stay.
    assert invoices_pdf_task(invoices) == 0
    assert set(Invoice.objects.filter(run=run).values_list("pdf", flat=True)) == names


def test_the_progress_page_counts_the_pdfs_still_to_render(
    collectivity_a, regie, canteen, client_a, agent_a
):
    families(collectivity_a, canteen, 2)
    run = draft(regie, [canteen])
    issue_without_pdf_tasks(run)
    client_a.force_login(agent_a)
    page = client_a.get(reverse("billing_admin:run_detail", args=[run.pk]))
    text = page.content.decode()
    assert "0 / 2" in text and "2 PDF restent à rendre" in text
    assert '<meta http-equiv="refresh"' in text
    invoices_pdf_render(list(Invoice.objects.filter(run=run).values_list("pk", flat=True)))
    text = client_a.get(reverse("billing_admin:run_detail", args=[run.pk])).content.decode()
    assert "2 / 2" in text and "restent à rendre" not in text
    assert '<meta http-equiv="refresh"' not in text


def test_an_invoice_downloaded_before_its_task_gets_its_pdf_once(
    collectivity_a, regie, canteen, client_a, agent_a, client_b, agent_b
):
    families(collectivity_a, canteen, 1)
    run = draft(regie, [canteen])
    issue_without_pdf_tasks(run)
    invoice = Invoice.objects.get(run=run)
    # Another collectivity's agent neither gets it nor makes it render.
    client_b.force_login(agent_b)
    assert client_b.get(reverse("billing_admin:invoice_pdf", args=[invoice.pk])).status_code == 404
    invoice.refresh_from_db()
    assert not invoice.pdf
    client_a.force_login(agent_a)
    url = reverse("billing_admin:invoice_pdf", args=[invoice.pk])
    first = client_a.get(url)
    assert first.status_code == 200 and b"".join(first.streaming_content)[:5] == b"%PDF-"
    invoice.refresh_from_db()
    stored = invoice.pdf.name
    assert stored
    second = client_a.get(url)
    assert second.status_code == 200
    invoice.refresh_from_db()
    assert invoice.pdf.name == stored
    assert invoices_pdf_task([invoice.pk]) == 0
