"""The « Facturation » back office: régies, the invoices list and its filters, an invoice's
page and PDF, the credit note, a manual payment, a family's account, the CSV import and the
payments export. Each page is this collectivity's only (B's rows exist, and answer 404), and
bad input changes nothing."""

import csv
import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest
from openpyxl import load_workbook

from billing.forms.admin import _ics_valid
from billing.models import Invoice, Payment, Regie
from billing.services import payment_record
from family.models import Guardian
from notifications.models import OutboxEmail, TimelineEvent
from tests.billing.test_invoices import DAY, issue
from tests.planning.factories import ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
BASE = "/admin/facturation/"


@pytest.fixture
def regie(collectivity_a):
    return Regie.objects.create(collectivity=collectivity_a, code="01", name="Régie enfance")


def _family(collectivity, name, ref=""):
    family = FamilyFactory(collectivity=collectivity, name=name, external_ref=ref)
    Guardian.objects.create(family=family, rank=1, first_name="Léa", last_name=name, is_payer=True)
    return family


@pytest.fixture
def family(collectivity_a):
    family = _family(collectivity_a, "Dupont", ref="F-0001")
    ChildFactory(family=family, first_name="Emma")
    SubscriptionFactory(user=UserFactory(email="lea@example.test"), family=family)
    return family


@pytest.fixture
def foreign(collectivity_b):
    """Collectivity B's régie, family and invoice (with a payment): present, never reached."""
    regie_b = Regie.objects.create(collectivity=collectivity_b, code="01", name="Régie Bêta")
    family_b = _family(collectivity_b, "InterditeB", ref="F-0001")
    invoice_b = issue(regie_b, family_b)
    payment_record(regie=regie_b, family=family_b, kind="cash", amount="5", date=DAY)
    return {"regie": regie_b, "family": family_b, "invoice": invoice_b}


@pytest.fixture
def agent(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


# --- scoping ------------------------------------------------------------------------------


def test_another_collectivitys_objects_answer_404(agent, foreign, family, regie):
    invoice, regie_b, family_b = foreign["invoice"], foreign["regie"], foreign["family"]
    for path in (
        f"factures/{invoice.pk}/",
        f"factures/{invoice.pk}/pdf/",
        f"factures/{invoice.pk}/annuler/",
        f"familles/{family_b.pk}/compte/",
        f"familles/{family_b.pk}/reglement/",
        f"regies/{regie_b.pk}/",
    ):
        assert agent.get(BASE + path).status_code == 404, path
    response = agent.post(BASE + f"factures/{invoice.pk}/annuler/", {"reason": "Erreur"})
    assert response.status_code == 404
    response = agent.post(
        BASE + f"familles/{family.pk}/reglement/",
        {"regie": regie_b.pk, "kind": "cheque", "amount": "1", "date": "2026-12-01"},
    )
    assert response.status_code == 400
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PARTIAL and invoice.paid == Decimal("5.00")
    listing = agent.get(BASE + "factures/").content.decode()
    assert (
        "InterditeB" not in listing
        and "Régie Bêta" not in agent.get(BASE + "regies/").content.decode()
    )


def test_parents_and_other_agents_are_refused(client_a, family, regie, collectivity_b):
    from portal.models import Membership
    from portal.services import membership_grant

    invoice = issue(regie, family)
    parent = family.subscriptions.get().user
    client_a.force_login(parent)
    assert client_a.get(BASE + f"factures/{invoice.pk}/pdf/").status_code in (302, 403)
    other = UserFactory(email="agent.b@example.test")
    membership_grant(user=other, collectivity=collectivity_b, role=Membership.Role.AGENT)
    client_a.force_login(other)
    assert client_a.get(BASE + f"factures/{invoice.pk}/").status_code == 403


def test_module_off_hides_the_back_office(agent, collectivity_a, regie, family):
    collectivity_a.module_billing = False
    collectivity_a.save()
    assert agent.get(BASE + "factures/").status_code == 404
    assert "Facturation" not in agent.get("/admin/").content.decode()
    page = agent.get(f"/admin/familles/{family.pk}/").content.decode()
    assert "Compte de facturation" not in page


def test_menu_and_family_page_link(agent, family):
    home = agent.get("/admin/").content.decode()
    assert "Facturation" in home and BASE + "factures/" in home
    page = agent.get(f"/admin/familles/{family.pk}/").content.decode()
    assert f"{BASE}familles/{family.pk}/compte/" in page


# --- régies -------------------------------------------------------------------------------


def test_add_and_edit_a_regie(agent, collectivity_a):
    response = agent.post(
        BASE + "regies/ajouter/",
        {
            "code": "02",
            "name": "Régie périscolaire",
            "address": "1 place de la Mairie",
            "online_backend": "payfip_ws",
            "payfip_numcli": "123456",
            "payfip_saisie": "T",
            "creditor_identifier": "DE98 ZZZ0 9999 9999 99",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    regie = Regie.objects.get(collectivity=collectivity_a, code="02")
    assert regie.creditor_identifier == "DE98ZZZ09999999999" and regie.payfip_numcli == "123456"
    response = agent.post(
        BASE + f"regies/{regie.pk}/",
        {"code": "02", "name": "Régie renommée", "payfip_saisie": "W", "online_backend": ""},
    )
    assert response.status_code == 302
    regie.refresh_from_db()
    assert regie.name == "Régie renommée" and not regie.is_active


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "1A", "name": "X"}, "deux chiffres"),
        ({"code": "01", "name": ""}, "Indiquez le nom de la régie."),
        ({"code": "03", "name": "X", "online_backend": "payfip_ws"}, "numéro client PayFiP"),
        ({"code": "03", "name": "X", "payfip_numcli": "12"}, "six chiffres"),
        ({"code": "03", "name": "X", "creditor_identifier": "FR00ZZZ123456"}, "SEPA"),
        ({"code": "01", "name": "Doublon"}, "déjà celui de la régie « Régie enfance »"),
        ({"code": "04", "name": "X", "online_backend": "dummy"}, "Sélectionnez un choix valide"),
    ],
)
def test_a_bad_regie_changes_nothing(agent, regie, data, message):
    before = list(Regie.objects.values_list("code", "name"))
    response = agent.post(BASE + "regies/ajouter/", {"payfip_saisie": "T", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(Regie.objects.values_list("code", "name")) == before


def test_a_regie_that_issued_invoices_keeps_its_code(agent, regie, family):
    issue(regie, family)
    response = agent.post(
        BASE + f"regies/{regie.pk}/", {"code": "05", "name": "Régie", "payfip_saisie": "T"}
    )
    assert response.status_code == 400 and "ne peut plus changer" in response.content.decode()
    regie.refresh_from_db()
    assert regie.code == "01"


def test_ics_check_digits():
    assert _ics_valid("DE98ZZZ09999999999")
    assert not _ics_valid("DE97ZZZ09999999999")


# --- invoices -----------------------------------------------------------------------------


def test_list_filters(agent, regie, family, collectivity_a, foreign):
    other = _family(collectivity_a, "Martin")
    late = issue(regie, family, day=datetime.date(2026, 9, 1))  # due 1 October: overdue
    paid = issue(regie, other)
    payment_record(regie=regie, family=other, kind="cash", amount=paid.total, date=DAY)
    url = BASE + "factures/"
    page = agent.get(url).content.decode()
    assert late.number in page and paid.number in page and "En retard" in page
    page = agent.get(url, {"en_retard": "on"}).content.decode()
    assert late.number in page and paid.number not in page
    page = agent.get(url, {"etat": "paid"}).content.decode()
    assert paid.number in page and late.number not in page
    page = agent.get(url, {"famille": "mart"}).content.decode()
    assert paid.number in page and late.number not in page
    page = agent.get(url, {"echeance_du": "2026-12-01", "echeance_au": "2026-12-31"})
    assert paid.number in page.content.decode() and late.number not in page.content.decode()
    bad = agent.get(url, {"echeance_du": "pas une date"}).content.decode()
    assert "Saisissez une date valide" in bad
    reversed_period = agent.get(url, {"echeance_du": "2026-12-31", "echeance_au": "2026-12-01"})
    assert "Cette date précède la date de début." in reversed_period.content.decode()


def test_list_query_count_does_not_grow(agent, regie, family, django_assert_max_num_queries):
    issue(regie, family)
    agent.get(BASE + "factures/")  # warm caches (site, settings)
    with django_assert_max_num_queries(20) as small:
        agent.get(BASE + "factures/")
    for day in range(1, 16):
        issue(regie, family, day=datetime.date(2026, 11, day), notify=False)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert agent.get(BASE + "factures/").status_code == 200


def test_detail_and_pdf(agent, regie, family):
    invoice = issue(regie, family)
    page = agent.get(BASE + f"factures/{invoice.pk}/").content.decode()
    assert "Restauration scolaire" in page and "Emma" in page and "24,80" in page
    assert "Annuler par un avoir" in page
    response = agent.get(BASE + f"factures/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"


def test_cancel_by_a_credit_note(agent, regie, family, agent_a):
    invoice = issue(regie, family)
    url = BASE + f"factures/{invoice.pk}/annuler/"
    assert "Motif de l’annulation" in agent.get(url).content.decode()
    response = agent.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "Indiquez le motif" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.TO_PAY
    response = agent.post(url, {"reason": "Facturée deux fois"}, follow=True)
    assert "annulée par l’avoir A01-2026-000001" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED and invoice.cancelled_by == agent_a
    assert TimelineEvent.objects.filter(verb="invoice_cancelled", subject_id=invoice.pk).exists()
    email = OutboxEmail.objects.get(subject__contains=f"{invoice.number} est annulée")
    assert email.to == ["lea@example.test"] and "Facturée deux fois" in email.body_text
    again = agent.post(url, {"reason": "Encore"})
    assert again.status_code == 400 and "déjà annulée" in again.content.decode()


def test_a_paid_invoice_cannot_be_cancelled(agent, regie, family):
    invoice = issue(regie, family)
    payment_record(regie=regie, family=family, kind="cash", amount="1", date=DAY)
    page = agent.get(BASE + f"factures/{invoice.pk}/").content.decode()
    assert "Annuler par un avoir" not in page
    response = agent.post(BASE + f"factures/{invoice.pk}/annuler/", {"reason": "Erreur"})
    assert response.status_code == 400 and "déjà reçu" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PARTIAL


# --- payments and the account -------------------------------------------------------------


def _pay(agent, family, **data):
    values = {"kind": "cheque", "amount": "10,00", "date": "2026-12-01", "reference": "CHQ 1"}
    values.update(data)
    return agent.post(BASE + f"familles/{family.pk}/reglement/", values)


def test_a_cheque_is_allocated_oldest_first(agent, regie, family, agent_a):
    old = issue(regie, family, day=datetime.date(2026, 10, 1))
    new = issue(regie, family)
    response = _pay(agent, family, regie=regie.pk, amount="30,00")
    assert response.status_code == 302
    old.refresh_from_db(), new.refresh_from_db()
    assert old.status == Invoice.Status.PAID and new.paid == Decimal("5.20")
    payment = Payment.objects.get(family=family)
    assert payment.kind == "cheque" and payment.reference == "CHQ 1"
    assert payment.recorded_by == agent_a
    event = TimelineEvent.objects.get(verb="payment_recorded", subject_id=payment.pk)
    assert "30,00" in event.message
    assert OutboxEmail.objects.filter(subject__icontains="règlement").exists()


def test_a_payment_goes_to_the_ticked_invoices(agent, regie, family):
    old = issue(regie, family, day=datetime.date(2026, 10, 1))
    new = issue(regie, family)
    form = agent.get(BASE + f"familles/{family.pk}/reglement/", {"facture": new.pk})
    assert f'value="{new.pk}"' in form.content.decode()
    response = _pay(agent, family, regie=regie.pk, amount="24,80", invoices=[new.pk])
    assert response.status_code == 302
    old.refresh_from_db(), new.refresh_from_db()
    assert old.paid == 0 and new.status == Invoice.Status.PAID


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "100,00"}, "dépasse le reste à payer"),
        ({"amount": "-3"}, "Le montant doit être positif."),
        ({"amount": "1,234"}, "deux décimales au plus"),
        ({"amount": "abc"}, "Saisissez un montant en euros"),
        ({"kind": "card"}, "Sélectionnez un choix valide"),
        ({"kind": ""}, "Choisissez le type de règlement."),
        ({"date": "2099-01-01"}, "dans le futur"),
        ({"invoices": ["999999"]}, "n’est plus à payer pour cette famille"),
    ],
)
def test_a_bad_payment_records_nothing(agent, regie, family, data, message):
    invoice = issue(regie, family)
    response = _pay(agent, family, regie=regie.pk, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.paid == 0


def test_the_statement_shows_invoices_credit_notes_payments_and_balance(
    agent, regie, family, agent_a, django_assert_max_num_queries
):
    from billing.services import invoice_cancel

    first = issue(regie, family, day=datetime.date(2026, 10, 1))
    cancelled = issue(regie, family, day=datetime.date(2026, 10, 15))
    invoice_cancel(invoice=cancelled, by=agent_a, reason="Doublon")
    issue(regie, family)
    payment_record(regie=regie, family=family, kind="cesu", amount="20", date=DAY)
    url = BASE + f"familles/{family.pk}/compte/"
    page = agent.get(url).content.decode()
    assert first.number in page and "Avoir A01-2026-000001" in page and "Doublon" in page
    assert "Règlement R01-2026-000001 (cesu)" in page
    assert "Solde dû" in page and "29,60" in page  # 24,80 × 2 − 20
    with django_assert_max_num_queries(25) as small:
        agent.get(url)
    for day in range(2, 12):
        issue(regie, family, day=datetime.date(2026, 11, day), notify=False)
        payment_record(regie=regie, family=family, kind="cash", amount="1", date=DAY)
    with django_assert_max_num_queries(len(small.captured_queries)):
        agent.get(url)


# --- CSV import ---------------------------------------------------------------------------

HEADER = (
    "facture;reference_famille;code_abonne;regie;objet;date_emission;date_echeance;"
    "date_prelevement;enfant_prenom;libelle;periode;quantite;prix_unitaire"
)


def _upload(agent, text: str, **extra):
    data = SimpleUploadedFile("factures.csv", text.encode("utf-8"), content_type="text/csv")
    return agent.post(BASE + "import/", {"file": data, **extra})


def test_import_groups_lines_into_invoices(agent, regie, family, collectivity_a):
    other = _family(collectivity_a, "Martin")
    other.subscriber_code = "ABCDEFGHJKMN"
    other.save()
    text = "\n".join(
        [
            HEADER,
            "A1;F-0001;;01;Novembre 2026;01/12/2026;31/12/2026;;emma;Restauration;novembre;14;4,20",
            "A1;F-0001;;01;Novembre 2026;01/12/2026;31/12/2026;;;Garderie;novembre;1,5;2,00",
            "A2;;abcd-efgh-jkmn;1;Novembre 2026;2026-12-01;2026-12-31;2026-12-10;;Repas;;2;3",
        ]
    )
    response = _upload(agent, text)
    assert response.status_code == 302, response.content.decode()[:3000]
    first = Invoice.objects.get(family=family)
    assert first.total == Decimal("61.80") and first.lines.count() == 2
    assert first.lines.first().child.first_name == "Emma"
    assert first.pdf
    second = Invoice.objects.get(family=other)
    assert second.direct_debit_date == datetime.date(2026, 12, 10)
    assert not OutboxEmail.objects.filter(subject__contains=first.number).exists()


def test_the_same_file_imported_twice_is_refused_the_second_time(agent, regie, family):
    """A double click on « Importer », or the same export sent again: the old software's
    invoice numbers are already known, so nothing is imported twice."""
    text = "\n".join(
        [
            HEADER,
            "A1;F-0001;;01;Novembre 2026;01/12/2026;31/12/2026;;;Restauration;novembre;14;4,20",
        ]
    )
    assert _upload(agent, text).status_code == 302
    first = Invoice.objects.get()
    assert first.source_ref == "A1"
    page = _upload(agent, text).content.decode()
    assert "la facture « A1 » a déjà été importée (facture F01-2026-000001)" in page
    assert Invoice.objects.count() == 1


def test_import_refuses_the_whole_file_with_errors_by_line(agent, regie, family, foreign):
    text = "\n".join(
        [
            HEADER,
            "A1;F-0001;;01;Nov;01/12/2026;31/12/2026;;;Repas;;2;3",
            "A1;F-0001;;01;Autre objet;01/12/2026;31/12/2026;;;Repas;;2;3",
            "A2;INCONNUE;;01;Nov;01/12/2026;31/12/2026;;;Repas;;2;3",
            "A3;F-0001;;09;Nov;32/12/2026;31/12/2026;;Paul;Repas;;-1;3,333",
            "A4;F-0001;;01;Nov;01/12/2026;01/11/2026;;;;;2;3",
        ]
    )
    response = _upload(agent, text)
    assert response.status_code == 400
    page = response.content.decode()
    for expected in (
        "Ligne 3 : la facture « A1 » commence ligne 2 avec d’autres valeurs : objet.",
        "Ligne 4 : aucune famille de référence « INCONNUE ».",
        "Ligne 5 : aucune régie active de code « 09 ».",
        "date d’émission « 32/12/2026 » invalide",
        "n’a pas un enfant et un seul prénommé « Paul »",
        "quantité « -1 » invalide",
        "prix unitaire « 3,333 » invalide",
        "Ligne 6 : colonne libelle vide.",
        "Ligne 6 : la date d’échéance précède la date d’émission.",
    ):
        assert expected in page, expected
    assert not Invoice.objects.filter(regie=regie).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier est vide."),
        (b"facture;inconnue\nA;B\n", "colonne(s) inconnue(s) : inconnue"),
        (b"facture;regie\nA;01\n", "colonne(s) obligatoire(s) absente(s)"),
        ("facture;regie\nA;é\n".encode("latin-1"), "UTF-8"),
    ],
)
def test_import_refuses_bad_files(agent, regie, content, message):
    upload = SimpleUploadedFile("f.csv", content, content_type="text/csv")
    response = agent.post(BASE + "import/", {"file": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invoice.objects.exists()


def test_import_never_reaches_another_collectivitys_family(agent, regie, foreign):
    # B has a family "F-0001"; A has none: the reference is unknown here.
    text = HEADER + "\nA1;F-0001;;01;Nov;01/12/2026;31/12/2026;;;Repas;;2;3"
    response = _upload(agent, text)
    assert "aucune famille de référence « F-0001 »" in response.content.decode()
    assert Invoice.objects.filter(family=foreign["family"]).count() == 1


def test_the_model_file_imports_as_it_is(agent, regie, collectivity_a):
    for ref, children in (("F-0001", ("Léa", "Tom")), ("F-0002", ("Inès",))):
        family = _family(collectivity_a, ref, ref=ref)
        for name in children:
            ChildFactory(family=family, first_name=name)
    model = agent.get(BASE + "import/modele.csv")
    assert model["Content-Disposition"] == 'attachment; filename="modele-import-factures.csv"'
    text = model.content.decode("utf-8-sig")
    assert text.startswith("facture;reference_famille;regie;")
    assert _upload(agent, text).status_code == 302
    assert Invoice.objects.filter(regie=regie).count() == 2


# --- payments export ----------------------------------------------------------------------


def test_export_csv_and_xlsx(agent, regie, family, foreign, collectivity_a):
    issue(regie, family)
    payment_record(
        regie=regie, family=family, kind="cheque", amount="12.5", date=DAY, reference="=HYPERLINK()"
    )
    payment_record(
        regie=regie, family=family, kind="cash", amount="1", date=datetime.date(2026, 12, 2)
    )
    other = Regie.objects.create(collectivity=collectivity_a, code="02", name="Autre régie")
    query = {"regie": regie.pk, "du": "2026-12-01", "au": "2026-12-01", "format": "csv"}
    response = agent.get(BASE + "reglements/export/", query)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Numéro" and len(rows) == 2
    assert rows[1][:4] == ["R01-2026-000001", "01/12/2026", "Chèque", "12,50"]
    assert rows[1][4] == "'=HYPERLINK()"  # no formula in a spreadsheet
    response = agent.get(
        BASE + "reglements/export/", {**query, "format": "xlsx", "au": "2026-12-31"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 3 and values[1][3] == 12.5
    empty = agent.get(BASE + "reglements/export/", {**query, "regie": other.pk})
    assert len(empty.content.decode("utf-8-sig").strip().splitlines()) == 1
    foreign_regie = agent.get(BASE + "reglements/export/", {**query, "regie": foreign["regie"].pk})
    assert foreign_regie.status_code == 400
    assert "Choisissez une régie de votre collectivité." in foreign_regie.content.decode()
    bad = agent.get(BASE + "reglements/export/", {**query, "au": "2026-11-01"})
    assert bad.status_code == 400 and "précède" in bad.content.decode()
