"""Reminders and tax certificates in a browser: the agent reads the overdue invoices by level
and prints the reminder letters, generates last year's tax certificates and prints them; the
parent downloads theirs from « Espace facturation ». axe-core checks every page."""

import datetime
from decimal import Decimal

from django.utils import timezone

import pytest
from playwright.sync_api import expect

from billing.models import InvoiceReminder, Regie, TaxCertificate
from billing.services import LineInput, invoice_issue, payment_record, reminders_send
from family.models import Guardian
from tests.e2e.test_backoffice import login_as
from tests.planning.factories import ActivityFactory, ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_reminders_and_certificates_journey(live_server, page, axe, collectivity_a, agent_a):
    page.set_viewport_size({"width": 1280, "height": 900})
    today = timezone.localdate()
    year = today.year - 1
    regie = Regie.objects.create(
        collectivity=collectivity_a, code="01", name="Régie enfance", address="Mairie\n45000 Alpha"
    )
    care = ActivityFactory(collectivity=collectivity_a, name="Périscolaire", childcare=True)
    by_post = FamilyFactory(collectivity=collectivity_a, name="Martin")
    Guardian.objects.create(family=by_post, first_name="Paul", last_name="Martin", is_payer=True)
    ChildFactory(family=by_post, first_name="Jules")
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(family=family, first_name="Léa", last_name="Dupont", is_payer=True)
    child = ChildFactory(family=family, first_name="Emma", birth_date=datetime.date(year - 2, 3, 1))
    parent = UserFactory(email="lea@example.test")
    SubscriptionFactory(user=parent, family=family)

    def invoice(who, kid, day):
        return invoice_issue(
            regie=regie,
            family=who,
            lines=[
                LineInput(
                    label="Accueil du soir",
                    quantity=Decimal(4),
                    unit_price=Decimal("5"),
                    child=kid,
                    activity=care,
                )
            ],
            issue_date=day,
            due_date=day + datetime.timedelta(days=10),
            notify=False,
        )

    overdue = invoice(by_post, by_post.children.get(), today - datetime.timedelta(days=50))
    reminders_send(today=today)
    assert overdue.reminders.get().channel == InvoiceReminder.Channel.LETTER
    paid = invoice(family, child, datetime.date(year, 5, 1))
    payment_record(
        regie=regie, family=family, kind="cheque", amount="20", date=datetime.date(year, 5, 20)
    )
    assert paid.reminders.count() == 0

    login_as(page, live_server, agent_a)
    page.goto(live_server.url + "/admin/facturation/relances/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Relances")
    expect(page.get_by_role("link", name=overdue.number)).to_be_visible()
    axe(page)
    page.get_by_label("Dernière relance").select_option(label="Relance n° 2")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("1 facture en retard.")).to_be_visible()
    axe(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Imprimer les lettres de relance").click()
    assert download.value.suggested_filename.startswith("lettres-de-relance-")

    page.goto(live_server.url + "/admin/facturation/attestations/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attestations fiscales")
    axe(page)
    page.get_by_role("button", name=f"Générer les attestations de {year}").click()
    expect(page.get_by_text(f"Génération de 1 attestation(s) de {year} lancée")).to_be_visible()
    page.reload()
    expect(page.get_by_role("cell", name="Emma Dupont")).to_be_visible()
    axe(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Imprimer les attestations de {year}").click()
    assert download.value.suggested_filename == f"attestations-{year}-1.pdf"

    page.context.clear_cookies()
    login_as(page, live_server, parent)
    page.goto(live_server.url + "/facturation/")
    expect(page.get_by_role("heading", name="Attestations fiscales")).to_be_visible()
    axe(page)
    certificate = TaxCertificate.objects.get()
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger l’attestation (PDF)").click()
    assert download.value.suggested_filename == (
        f"attestation-frais-de-garde-{year}-{certificate.pk}.pdf"
    )
