"""« Espace facturation »: the family's invoices with their payments, the balance, filters, the
detail and the PDF; never another family's or another collectivity's."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from billing.models import Regie
from billing.pdf import invoice_html
from billing.services import payment_record
from family.models import Guardian
from tests.billing.test_invoices import DAY, issue
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/facturation/"


@pytest.fixture
def regie(collectivity_a):
    return Regie.objects.create(collectivity=collectivity_a, code="01", name="Régie enfance")


@pytest.fixture
def parent(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(family=family, rank=1, first_name="Léa", last_name="Dupont")
    user = UserFactory(email="lea@example.test")
    SubscriptionFactory(user=user, family=family)
    user.family = family
    return user


@pytest.fixture
def foreign(collectivity_a, collectivity_b, regie):
    other = FamilyFactory(collectivity=collectivity_a, name="Interdite")
    Guardian.objects.create(family=other, rank=1, first_name="Max", last_name="Interdite")
    family_b = FamilyFactory(collectivity=collectivity_b, name="Interdite")
    Guardian.objects.create(family=family_b, rank=1, first_name="Zoé", last_name="Interdite")
    regie_b = Regie.objects.create(collectivity=collectivity_b, code="01", name="Régie B")
    return issue(regie, other), issue(regie_b, family_b)


def test_the_list_shows_what_is_to_pay_and_the_payments(client_a, parent, regie, foreign):
    old = issue(regie, parent.family, day=datetime.date(2026, 10, 1))
    issue(regie, parent.family)
    payment_record(regie=regie, family=parent.family, kind="cheque", amount="10", date=DAY)
    client_a.force_login(parent)
    page = client_a.get(URL).content.decode()
    assert "Reste à payer : <strong>39,60\u00a0€</strong>" in page
    assert page.count('<li class="invoice') == 2
    assert "Partiellement payée" in page and "À payer" in page
    assert "R01-2026-000001" in page and "Chèque" in page
    assert old.regie.name in page
    assert "Interdite" not in page and foreign[0].number not in page


def test_filters_by_year_and_status(client_a, parent, regie):
    issue(regie, parent.family, day=datetime.date(2025, 12, 1))
    issue(regie, parent.family)
    client_a.force_login(parent)
    assert client_a.get(URL, {"annee": 2025}).content.decode().count('<li class="invoice') == 1
    page = client_a.get(URL, {"etat": "paid"}).content.decode()
    assert "Aucune facture ne correspond à ces filtres." in page


def test_detail_and_pdf_are_the_familys_only(client_a, client_b, parent, regie, foreign):
    invoice = issue(regie, parent.family)
    client_a.force_login(parent)
    detail = client_a.get(f"{URL}factures/{invoice.pk}/").content.decode()
    assert "Restauration scolaire" in detail and "Emma" in detail
    response = client_a.get(f"{URL}factures/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    for other in foreign:
        for path in (f"{URL}factures/{other.pk}/", f"{URL}factures/{other.pk}/pdf/"):
            assert client_a.get(path).status_code == 404
    client_b.force_login(parent)
    assert client_b.get(f"{URL}factures/{invoice.pk}/").status_code in (200, 404)
    assert "Restauration" not in client_b.get(f"{URL}factures/{invoice.pk}/").content.decode()


def test_a_name_with_html_is_text_in_the_page_and_the_pdf(client_a, parent, regie):
    guardian = parent.family.guardians.get()
    guardian.last_name = "<script>alert(1)</script>"
    guardian.is_payer = True
    guardian.save()
    invoice = issue(regie, parent.family)
    client_a.force_login(parent)
    page = client_a.get(f"{URL}factures/{invoice.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    html = invoice_html(invoice)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_module_off_answers_404(client_a, parent, collectivity_a):
    collectivity_a.module_billing = False
    collectivity_a.module_online_payment = False
    collectivity_a.save()
    client_a.force_login(parent)
    assert client_a.get(URL).status_code == 404


def test_query_count_does_not_grow_with_invoices(client_a, parent, regie):
    client_a.force_login(parent)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client_a.get(URL).status_code == 200
        return len(queries)

    issue(regie, parent.family)
    count()
    few = count()
    for month in range(1, 10):
        issue(regie, parent.family, day=datetime.date(2026, month, 1))
    payment_record(regie=regie, family=parent.family, kind="cash", amount="100", date=DAY)
    assert count() == few


def test_invoices_payments_and_credit_notes_appear_in_mes_demandes(
    client_a, parent, regie, agent_a
):
    """Each invoice issued, payment recorded and credit note has its line and its history in
    « Mes demandes », with a new message until the parent opens it."""
    from billing.services import invoice_cancel

    paid = issue(regie, parent.family)
    cancelled = issue(regie, parent.family, amount="1")
    payment_record(
        regie=regie,
        family=parent.family,
        kind="cheque",
        amount="24.80",
        date=DAY,
        invoice_ids=[paid.pk],
    )
    invoice_cancel(invoice=cancelled, by=agent_a, reason="Erreur de tarif")
    client_a.force_login(parent)
    page = client_a.get("/mon-espace/demandes/").content.decode()
    assert f"Facture {paid.number} : 24,80\u00a0€" in page
    assert "Règlement R01-2026-000001 (chèque) : 24,80\u00a0€" in page
    assert f"Facture {cancelled.number}" in page and "Annulée" in page
    detail = client_a.get(f"/mon-espace/demandes/facture/{cancelled.pk}/").content.decode()
    assert "Erreur de tarif" in detail and "A01-2026-000001" in detail
