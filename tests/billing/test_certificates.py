"""Tax certificates (« attestations de frais de garde »): only childcare activities, only what
was paid, only in the year, only children under 6 on 1 January of the year; made once; the
parent's and the agents' pages, with another family's and another collectivity's certificates
present and never reached."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from billing import tasks
from billing.models import Regie, TaxCertificate
from billing.services import (
    CertificateError,
    LineInput,
    invoice_issue,
    payment_record,
    tax_certificates_generate,
)
from billing.services.certificates import certificate_amounts, certificate_place
from family.models import Guardian
from notifications.models import TimelineEvent
from tests.billing.test_reminders import pdf_pages
from tests.planning.factories import ActivityFactory, ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
JANUARY = datetime.datetime(2026, 1, 15, 5, 0, tzinfo=datetime.UTC)  # 06:00 in Paris
BASE = "/admin/facturation/attestations/"


@pytest.fixture(autouse=True)
def _in_january_2026():
    with time_machine.travel(JANUARY, tick=False):
        yield


def _world(collectivity, name):
    regie = Regie.objects.get_or_create(
        collectivity=collectivity,
        code="01",
        defaults={"name": f"Régie {name}", "address": "Mairie\n45630 Beaulieu-sur-Loire"},
    )[0]
    care = ActivityFactory(collectivity=collectivity, name=f"Périscolaire {name}", childcare=True)
    canteen = ActivityFactory(collectivity=collectivity, name=f"Cantine {name}")
    family = FamilyFactory(collectivity=collectivity, name=name)
    Guardian.objects.create(family=family, rank=1, first_name="Léa", last_name=name, is_payer=True)
    young = ChildFactory(
        family=family, first_name=f"Petit{name}", birth_date=datetime.date(2021, 5, 1)
    )
    return {"regie": regie, "care": care, "canteen": canteen, "family": family, "young": young}


def _invoice(w, lines, *, day=datetime.date(2025, 3, 1)):
    return invoice_issue(
        regie=w["regie"],
        family=w["family"],
        lines=[
            LineInput(
                label=activity.name,
                quantity=Decimal(1),
                unit_price=Decimal(price),
                child=child,
                activity=activity,
            )
            for child, activity, price in lines
        ],
        issue_date=day,
        due_date=day + datetime.timedelta(days=30),
        notify=False,
    )


def _pay(w, invoice, amount, day):
    payment_record(
        regie=w["regie"],
        family=w["family"],
        kind="cheque",
        amount=amount,
        date=day,
        invoice_ids=[invoice.pk],
        notify=False,
    )


@pytest.fixture
def world(collectivity_a):
    return _world(collectivity_a, "Dupont")


def test_only_childcare_paid_in_the_year_for_young_children(world, collectivity_a):
    w = world
    family = w["family"]
    old = ChildFactory(family=family, first_name="Grand", birth_date=datetime.date(2018, 12, 31))
    edge = ChildFactory(family=family, first_name="Limite", birth_date=datetime.date(2019, 1, 1))
    after = ChildFactory(family=family, first_name="Juste", birth_date=datetime.date(2019, 1, 2))
    no_birth = ChildFactory(family=family, first_name="Inconnu", birth_date=None)
    # 30 € of childcare and 10 € of canteen, half paid in 2025: 15 € of childcare.
    partial = _invoice(w, [(w["young"], w["care"], "30"), (w["young"], w["canteen"], "10")])
    _pay(w, partial, "20", datetime.date(2025, 12, 10))
    # The rest paid in January 2026: not in 2025.
    _pay(w, partial, "20", datetime.date(2026, 1, 5))
    # Fully paid in 2025, invoiced in 2024: counts (what matters is when it was paid).
    earlier = _invoice(w, [(w["young"], w["care"], "12.5")], day=datetime.date(2024, 12, 1))
    _pay(w, earlier, "12.50", datetime.date(2025, 1, 3))
    # Paid in 2024: not in 2025.
    paid_2024 = _invoice(w, [(w["young"], w["care"], "99")], day=datetime.date(2024, 11, 1))
    _pay(w, paid_2024, "99", datetime.date(2024, 12, 20))
    # Unpaid: nothing.
    _invoice(w, [(w["young"], w["care"], "50")])
    # The age rule: under 6 on 1 January 2025, born after 1 January 2019.
    ages = _invoice(
        w,
        [
            (old, w["care"], "10"),
            (edge, w["care"], "10"),
            (after, w["care"], "10"),
            (no_birth, w["care"], "10"),
        ],
    )
    _pay(w, ages, "40", datetime.date(2025, 6, 1))
    amounts = certificate_amounts(collectivity=collectivity_a, year=2025)
    by_child = {child_id: entry.amount for (_f, child_id), entry in amounts.items()}
    assert by_child == {w["young"].pk: Decimal("27.50"), after.pk: Decimal("10.00")}
    assert tax_certificates_generate(collectivity=collectivity_a, year=2025) == 2
    certificate = TaxCertificate.objects.get(child=w["young"])
    assert (certificate.year, certificate.amount, certificate.family) == (
        2025,
        Decimal("27.50"),
        family,
    )
    assert certificate.details["place"] == "Beaulieu-sur-Loire"
    assert certificate.details["payers"] == ["Léa Dupont"]
    assert certificate.pdf.open("rb").read(5) == b"%PDF-"
    event = TimelineEvent.objects.get(verb="tax_certificate_issued", subject_id=certificate.pk)
    assert "27,50" in event.message and event.family_id == family.pk


def test_a_prorated_share_is_rounded_once_to_the_cent(world, collectivity_a):
    w = world
    invoice = _invoice(
        w,
        [
            (w["young"], w["care"], "10"),
            (w["young"], w["care"], "10"),
            (w["young"], w["canteen"], "10"),
        ],
    )
    _pay(w, invoice, "10", datetime.date(2025, 5, 1))  # 2 × 3,333… = 6,67 €
    amounts = certificate_amounts(collectivity=collectivity_a, year=2025)
    assert [entry.amount for entry in amounts.values()] == [Decimal("6.67")]


def test_generation_is_idempotent(world, collectivity_a):
    w = world
    invoice = _invoice(w, [(w["young"], w["care"], "30")])
    _pay(w, invoice, "30", datetime.date(2025, 4, 1))
    assert tax_certificates_generate(collectivity=collectivity_a, year=2025) == 1
    first = TaxCertificate.objects.get()
    name = first.pdf.name
    # A payment recorded later, dated in 2025: an issued certificate is never changed.
    other = _invoice(w, [(w["young"], w["care"], "5")])
    _pay(w, other, "5", datetime.date(2025, 12, 31))
    assert tax_certificates_generate(collectivity=collectivity_a, year=2025) == 0
    assert tasks.tax_certificates_generate() == 0  # the January schedule: 2025 again
    first.refresh_from_db()
    assert TaxCertificate.objects.count() == 1 and first.pdf.name == name
    assert first.amount == Decimal("30.00")


def test_the_schedule_makes_the_year_before(world, collectivity_a, collectivity_b):
    w = world
    b = _world(collectivity_b, "InterditeB")
    for x in (w, b):
        invoice = _invoice(x, [(x["young"], x["care"], "8")])
        _pay(x, invoice, "8", datetime.date(2025, 9, 1))
    assert tasks.tax_certificates_generate() == 2
    assert set(TaxCertificate.objects.values_list("family__collectivity", "year")) == {
        (collectivity_a.pk, 2025),
        (collectivity_b.pk, 2025),
    }


def test_a_year_not_over_is_refused(world, collectivity_a):
    for year in (2026, 2027, 1999):
        with pytest.raises(CertificateError) as error:
            tax_certificates_generate(collectivity=collectivity_a, year=year)
        assert "année terminée" in error.value.message
    assert not TaxCertificate.objects.exists()


def test_the_place_comes_from_the_address(collectivity_a):
    regie = Regie(address="Hôtel de ville\n1 place\n26400 Val-Fleuri")
    assert certificate_place(collectivity_a, [regie]) == "Val-Fleuri"
    assert certificate_place(collectivity_a, [Regie(address="1 place")]) == collectivity_a.name


# --- the pages ----------------------------------------------------------------------------


def _certified(collectivity, name):
    x = _world(collectivity, name)
    invoice = _invoice(x, [(x["young"], x["care"], "20")])
    _pay(x, invoice, "20", datetime.date(2025, 2, 1))
    tax_certificates_generate(collectivity=collectivity, year=2025)
    return x, TaxCertificate.objects.get(child=x["young"])


def test_the_parent_sees_and_downloads_only_theirs(client_a, collectivity_a, collectivity_b):
    own, mine = _certified(collectivity_a, "Dupont")
    _other, theirs = _certified(collectivity_a, "InterditeX")
    _b, foreign = _certified(collectivity_b, "InterditeB")
    parent = UserFactory(email="lea@example.test")
    SubscriptionFactory(user=parent, family=own["family"])
    client_a.force_login(parent)
    page = client_a.get("/facturation/").content.decode()
    assert "Attestations fiscales" in page
    assert f"/facturation/attestations/{mine.pk}/pdf/" in page
    assert "PetitDupont" in page and "20,00" in page
    assert "InterditeX" not in page and f"/facturation/attestations/{theirs.pk}/" not in page
    response = client_a.get(f"/facturation/attestations/{mine.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    for forbidden in (theirs, foreign):
        assert client_a.get(f"/facturation/attestations/{forbidden.pk}/pdf/").status_code == 404


@pytest.fixture
def agent(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


def test_the_agent_lists_generates_and_prints(agent, collectivity_a, collectivity_b):
    _b, foreign = _certified(collectivity_b, "InterditeB")
    w = _world(collectivity_a, "Dupont")
    second = ChildFactory(
        family=w["family"], first_name="Bébé", birth_date=datetime.date(2024, 2, 2)
    )
    invoice = _invoice(w, [(w["young"], w["care"], "20"), (second, w["care"], "15")])
    _pay(w, invoice, "35", datetime.date(2025, 7, 1))
    page = agent.get(BASE).content.decode()
    assert "Aucune attestation pour 2025" in page
    response = agent.post(BASE + "generer/", {"annee": "2025"})
    assert response.status_code == 302 and response["Location"] == BASE + "?annee=2025"
    # (The task cluster runs synchronously in tests.)
    assert TaxCertificate.objects.filter(family=w["family"]).count() == 2
    page = agent.get(BASE, {"annee": "2025"}).content.decode()
    assert "2 attestations." in page and "PetitDupont" in page and "15,00" in page
    assert "InterditeB" not in page
    # Twice: nothing more (« elles sont toutes déjà faites »).
    response = agent.post(BASE + "generer/", {"annee": "2025"}, follow=True)
    assert "toutes déjà faites" in response.content.decode()
    assert TaxCertificate.objects.filter(family=w["family"]).count() == 2
    response = agent.get(BASE + "imprimer/", {"annee": "2025"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="attestations-2025-1.pdf"' in response["Content-Disposition"]
    assert pdf_pages(response.content) == 2  # A's two, not B's
    assert agent.get(BASE + "imprimer/", {"annee": "2024"}).status_code == 404
    assert TaxCertificate.objects.filter(pk=foreign.pk).exists()


def test_bad_years_change_nothing(agent, world, collectivity_a):
    invoice = _invoice(world, [(world["young"], world["care"], "20")])
    _pay(world, invoice, "20", datetime.date(2025, 2, 1))
    assert agent.get(BASE, {"annee": "2026"}).status_code == 400
    assert agent.get(BASE, {"annee": "abc"}).status_code == 400
    for year in ("2026", "1990", "abc", ""):
        response = agent.post(BASE + "generer/", {"annee": year}, follow=True)
        assert "Choisissez une année terminée" in response.content.decode(), year
    assert not TaxCertificate.objects.exists()
    assert agent.get(BASE + "generer/").status_code == 405


def test_the_certificate_reads_the_rule_and_the_child(world, collectivity_a):
    from django.template.loader import render_to_string

    from billing.pdf import tax_certificates_pdf

    collectivity_a.name_with_article = "la Ville d’Alpha"
    collectivity_a.save()
    invoice = _invoice(world, [(world["young"], world["care"], "20")])
    _pay(world, invoice, "20", datetime.date(2025, 2, 1))
    tax_certificates_generate(collectivity=collectivity_a, year=2025)
    certificate = TaxCertificate.objects.select_related("child", "family").get()
    html = render_to_string(
        "billing/pdf/tax_certificate.html",
        {
            "pages": [
                {
                    "certificate": certificate,
                    "child": certificate.child,
                    "regies": certificate.details["regies"],
                    "payers": certificate.details["payers"],
                    "place": certificate.details["place"],
                    "date": datetime.date(2026, 1, 15),
                    "born_after": datetime.date(2019, 1, 1),
                }
            ],
            "collectivity": collectivity_a,
        },
    )
    for text in (
        "Attestation de frais de garde",
        "pour la Ville d’Alpha",
        "PetitDupont",
        "1 mai 2021",
        "20,00",
        "moins de 6 ans au 1er janvier 2025",
        "nés après le 1er janvier 2019",
        "article 200 quater B",
        "Fait à Beaulieu-sur-Loire, le 15 janvier 2026.",
        "Régie Dupont",
    ):
        assert text in html, text
    assert pdf_pages(tax_certificates_pdf([certificate], collectivity=collectivity_a)) == 1
