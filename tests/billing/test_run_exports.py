"""Accounting exports of an invoicing run (CSV and XLSX): one row per invoice of the run with
its amounts per activity and accounting code, a cancelled invoice listed with its status and
left out of the totals, a fixed number of queries, and another collectivity's run a 404."""

import csv
import datetime
import io
from decimal import Decimal

from django.urls import reverse

import pytest
from openpyxl import load_workbook

from billing.models import Invoice, InvoiceLine, InvoicingRun, Regie
from tests.planning.factories import ActivityFactory
from tests.portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2027, 2, 1)
DUE = datetime.date(2027, 2, 28)


@pytest.fixture
def agent(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


def _run(collectivity, code="01"):
    regie = Regie.objects.get_or_create(
        collectivity=collectivity, code=code, defaults={"name": "Régie enfance"}
    )[0]
    return InvoicingRun.objects.create(
        regie=regie,
        label="Janvier 2027",
        period_start=datetime.date(2027, 1, 1),
        period_end=datetime.date(2027, 1, 31),
        status=InvoicingRun.Status.ISSUED,
        issue_date=DAY,
        due_date=DUE,
    )


def _invoice(run, number, *, name, lines, ref="", **fields):
    family = FamilyFactory(collectivity=run.regie.collectivity, name=name, external_ref=ref)
    invoice = Invoice.objects.create(
        regie=run.regie,
        family=family,
        run=run,
        payer_name=f"Léa {name}",
        number=number,
        issue_date=DAY,
        due_date=DUE,
        total=sum((Decimal(amount) for _activity, amount in lines), Decimal(0)),
        **fields,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            activity=activity,
            label=activity.name if activity else "Régularisation",
            quantity=1,
            unit_price=Decimal(amount),
            amount=Decimal(amount),
            position=index,
        )
        for index, (activity, amount) in enumerate(lines)
    )
    return invoice


@pytest.fixture
def world(collectivity_a, collectivity_b):
    canteen = ActivityFactory(
        collectivity=collectivity_a, name="Restauration scolaire", accounting_code="7067"
    )
    care = ActivityFactory(collectivity=collectivity_a, name="Accueil du soir", accounting_code="")
    run = _run(collectivity_a)
    _invoice(
        run,
        "F01-2027-000002",
        name="Martin",
        lines=[(canteen, "30.40"), (care, "12.00"), (canteen, "1.10")],
        direct_debit_date=datetime.date(2027, 2, 10),
    )
    _invoice(run, "F01-2027-000001", name="Dupont", ref="F-0001", lines=[(canteen, "20.00")])
    _invoice(
        run,
        "F01-2027-000003",
        name="Bernard",
        ref="=1+1",
        lines=[(care, "8.00"), (None, "2.50")],
        status=Invoice.Status.CANCELLED,
        credit_note_number="A01-2027-000001",
    )
    # Another run of the same régie, and collectivity B's run: never in this export.
    other = _run(collectivity_a)
    _invoice(other, "F01-2027-000099", name="AutreRun", lines=[(canteen, "5")])
    run_b = _run(collectivity_b)
    _invoice(
        run_b,
        "F01-2027-000001",
        name="InterditeB",
        lines=[(ActivityFactory(collectivity=collectivity_b), "7")],
    )
    return {"run": run, "run_b": run_b}


HEADER = [
    "Numéro",
    "Débiteur",
    "Référence famille",
    "Date d’émission",
    "Date d’échéance",
    "Prélèvement",
    "Date de prélèvement",
    "État",
    "Numéro de l’avoir",
    "Accueil du soir",
    "Restauration scolaire (7067)",
    "Autres lignes",
    "Total",
]


def test_csv_lists_the_runs_invoices_with_amounts_per_activity(agent, world):
    url = reverse("billing_admin:run_export_csv", args=[world["run"].pk])
    assert url == f"/admin/facturation/facturations/{world['run'].pk}/export.csv"
    response = agent.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER
    assert rows[1] == [
        "F01-2027-000001",
        "Léa Dupont",
        "F-0001",
        "01/02/2027",
        "28/02/2027",
        "Non",
        "",
        "À payer",
        "",
        "0,00",
        "20,00",
        "0,00",
        "20,00",
    ]
    assert rows[2][:7] == [
        "F01-2027-000002",
        "Léa Martin",
        "",
        "01/02/2027",
        "28/02/2027",
        "Oui",
        "10/02/2027",
    ]
    assert rows[2][9:] == ["12,00", "31,50", "0,00", "43,50"]
    assert rows[3][:3] == ["F01-2027-000003", "Léa Bernard", "'=1+1"]  # never a formula
    assert rows[3][7:9] == ["Annulée", "A01-2027-000001"]
    assert rows[3][9:] == ["8,00", "0,00", "2,50", "10,50"]
    # The totals leave the cancelled invoice out.
    assert rows[4][0] == "Total (hors factures annulées)"
    assert rows[4][9:] == ["12,00", "51,50", "0,00", "63,50"]
    assert len(rows) == 5
    assert "InterditeB" not in response.content.decode("utf-8-sig")
    assert "AutreRun" not in response.content.decode("utf-8-sig")


def test_xlsx_has_numbers_dates_and_one_header_row(agent, world):
    response = agent.get(reverse("billing_admin:run_export_xlsx", args=[world["run"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.worksheets) == 1
    sheet = workbook.active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADER
    assert values[1][0] == "F01-2027-000001"
    assert values[1][3] == datetime.datetime(2027, 2, 1)  # a date cell
    assert sheet.cell(row=2, column=4).number_format == "DD/MM/YYYY"
    assert values[2][5] == "Oui" and values[2][6] == datetime.datetime(2027, 2, 10)
    assert values[2][9:] == (12, 31.5, 0, 43.5)
    assert isinstance(values[2][10], float | int)
    assert sheet.cell(row=3, column=11).number_format == "#,##0.00"
    assert values[3][7] == "Annulée"
    assert values[4][0] == "Total (hors factures annulées)" and values[4][12] == 63.5
    assert len(values) == 5


def test_another_collectivitys_run_answers_404(agent, world):
    for name in ("billing_admin:run_export_csv", "billing_admin:run_export_xlsx"):
        assert agent.get(reverse(name, args=[world["run_b"].pk])).status_code == 404
        assert agent.get(reverse(name, args=[987654])).status_code == 404


def test_parents_are_refused(client_a, world):
    from tests.portal.factories import UserFactory

    client_a.force_login(UserFactory(email="parent@example.test"))
    response = client_a.get(reverse("billing_admin:run_export_csv", args=[world["run"].pk]))
    assert response.status_code in (302, 403)


def test_an_empty_run_gives_the_header_and_the_totals(agent, collectivity_a):
    run = _run(collectivity_a)
    response = agent.get(reverse("billing_admin:run_export_csv", args=[run.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER[:9] + ["Total"]
    assert rows[1][0] == "Total (hors factures annulées)" and rows[1][-1] == "0,00"


@pytest.mark.parametrize("name", ["billing_admin:run_export_csv", "billing_admin:run_export_xlsx"])
def test_query_count_does_not_grow_with_invoices(
    agent, world, collectivity_a, name, django_assert_max_num_queries
):
    run = world["run"]
    url = reverse(name, args=[run.pk])
    agent.get(url)
    with django_assert_max_num_queries(12) as few:
        agent.get(url)
    activities = [ActivityFactory(collectivity=collectivity_a) for _index in range(3)]
    for index in range(30):
        _invoice(
            run,
            f"F01-2027-{100 + index:06d}",
            name=f"Famille{index}",
            lines=[(activity, "1.50") for activity in activities],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = agent.get(url)
    assert response.status_code == 200
