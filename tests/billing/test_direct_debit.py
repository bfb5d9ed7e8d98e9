"""Direct debit (prélèvement SEPA): mandates from the dossier's bank details, the pain.008
file of one collection date (validated, parsed back), payments « prélèvement », FRST then
RCUR, no double collection, the rejet; another collectivity's rows answer 404."""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

import pytest
import time_machine
from lxml import etree

from billing.models import (
    DirectDebitBatch,
    DirectDebitItem,
    Invoice,
    Mandate,
    Payment,
    PaymentReversal,
    Regie,
)
from billing.services import invoice_cancel, payment_record
from billing.services.direct_debit import (
    DirectDebitError,
    batch_generate,
    debit_reject,
    mandate_create,
    mandate_revoke,
)
from family.models import BankDetails, Guardian
from notifications.models import OutboxEmail, TimelineEvent
from tests.billing.test_invoices import issue
from tests.planning.factories import ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
BASE = "/admin/facturation/"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
ICS = "FR72ZZZ123456"
CREDITOR_IBAN = "FR7630006000011234567890189"
IBANS = ["FR1420041010050500013M02606", "DE89370400440532013000", "FR7630001007941234567890185"]
TODAY = datetime.date(2026, 12, 3)
DEBIT = datetime.date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)):
        yield


def _regie(collectivity, name="Régie enfance", **kwargs):
    defaults = {"creditor_identifier": ICS, "creditor_iban": CREDITOR_IBAN, "creditor_bic": ""}
    return Regie.objects.create(
        collectivity=collectivity, code="01", name=name, **{**defaults, **kwargs}
    )


@pytest.fixture
def regie(collectivity_a):
    return _regie(collectivity_a, creditor_bic="BDFEFRPPCCT")


def _family(collectivity, name, *, iban=None, email=None):
    family = FamilyFactory(collectivity=collectivity, name=name)
    Guardian.objects.create(family=family, rank=1, first_name="Léa", last_name=name, is_payer=True)
    ChildFactory(family=family, first_name="Emma")
    SubscriptionFactory(
        user=UserFactory(email=email or f"{name.lower()}@example.test"), family=family
    )
    if iban:
        BankDetails.objects.create(family=family, holder_name=f"Léa {name}", iban=iban)
    return family


def _invoice(regie, family, amount="10.00", debit=DEBIT, **kwargs):
    return issue(
        regie,
        family,
        amount=amount,
        quantity="1",
        day=datetime.date(2026, 12, 1),
        direct_debit_date=debit,
        notify=False,
        **kwargs,
    )


def _tree(batch):
    with batch.file.open("rb") as handle:
        return etree.fromstring(handle.read())


def _transactions(tree) -> dict:
    """{end-to-end id: (amount, sequence, RUM, debtor IBAN)} from the parsed file."""
    found = {}
    for info in tree.iterfind(".//p:PmtInf", NS):
        sequence = info.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS)
        for tx in info.iterfind("p:DrctDbtTxInf", NS):
            found[tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS)] = (
                Decimal(tx.findtext("p:InstdAmt", namespaces=NS)),
                sequence,
                tx.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS),
                tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
            )
    return found


# --- mandates -------------------------------------------------------------------------------


def test_a_mandate_copies_the_dossier_bank_details_with_a_server_rum(regie, collectivity_a):
    family = _family(collectivity_a, "Dupont", iban="FR14 2004 1010 0505 0001 3M02 606")
    mandate = mandate_create(regie=regie, family=family, signature_date=TODAY)
    assert mandate.rum == f"M01-{family.pk:07d}-01"
    assert mandate.iban == IBANS[0] and mandate.holder_name == "Léa Dupont"
    assert mandate.sequence == "FRST" and mandate.status == "active"
    assert mandate.iban_masked == "FR14 **** **** **** **** **** 606"
    assert TimelineEvent.objects.filter(verb="mandate_created", family_id=family.pk).exists()
    mail = OutboxEmail.objects.get(family_id=family.pk)
    assert mail.to == ["dupont@example.test"]
    assert "mandat de prélèvement" in mail.subject and mandate.rum in mail.body_text
    with pytest.raises(DirectDebitError, match="déjà un mandat actif"):
        mandate_create(regie=regie, family=family, signature_date=TODAY)
    mandate_revoke(mandate=mandate)
    second = mandate_create(regie=regie, family=family, signature_date=TODAY)
    assert second.rum == f"M01-{family.pk:07d}-02"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no_bank_details", "pas de coordonnées bancaires validées"),
        ("no_ics", "identifiant créancier SEPA"),
        ("future", "dans le futur"),
        ("other_collectivity", "n’appartient pas"),
    ],
)
def test_a_refused_mandate_changes_nothing(regie, collectivity_a, collectivity_b, case, message):
    family = _family(collectivity_a, "Dupont", iban=None if case == "no_bank_details" else IBANS[0])
    target, day = regie, TODAY
    if case == "no_ics":
        regie.creditor_identifier = ""
        regie.save()
    elif case == "future":
        day = TODAY + datetime.timedelta(days=1)
    elif case == "other_collectivity":
        target = _regie(collectivity_b)
    with pytest.raises(DirectDebitError, match=message):
        mandate_create(regie=target, family=family, signature_date=day)
    assert not Mandate.objects.exists() and not OutboxEmail.objects.exists()


def test_revoking_releases_the_invoices_waiting_for_a_debit(regie, collectivity_a):
    family = _family(collectivity_a, "Dupont", iban=IBANS[0])
    mandate = mandate_create(regie=regie, family=family, signature_date=TODAY)
    invoice = _invoice(regie, family)
    revoked = mandate_revoke(mandate=mandate)
    assert revoked.status == "revoked" and revoked.revoked_at is not None
    invoice.refresh_from_db()
    assert invoice.direct_debit_date is None and invoice.status == "to_pay"
    assert OutboxEmail.objects.filter(subject__contains="révoqué").count() == 1
    with pytest.raises(DirectDebitError, match="déjà révoqué"):
        mandate_revoke(mandate=mandate)


# --- the file -------------------------------------------------------------------------------


@pytest.fixture
def families(regie, collectivity_a):
    """New (FRST), recurring (RCUR), revoked, paid, not on this date: who is collected?"""
    new = _family(collectivity_a, "Nouveau", iban=IBANS[0])
    old = _family(collectivity_a, "Ancien", iban=IBANS[1])
    gone = _family(collectivity_a, "Revoque", iban=IBANS[2])
    paid = _family(collectivity_a, "Payee", iban=IBANS[0])
    later = _family(collectivity_a, "Plustard", iban=IBANS[1])
    mandates = {
        f: mandate_create(regie=regie, family=f, signature_date=datetime.date(2026, 9, 1))
        for f in (new, old, gone, paid, later)
    }
    Mandate.objects.filter(pk=mandates[old].pk).update(sequence="RCUR")
    invoices = {
        "new": _invoice(regie, new, amount="42.50"),
        "old": _invoice(regie, old, amount="18.20"),
        "gone": _invoice(regie, gone, amount="7.00"),
        "paid": _invoice(regie, paid, amount="9.00"),
        "later": _invoice(regie, later, amount="5.00", debit=DEBIT + datetime.timedelta(days=30)),
    }
    # A partly paid invoice is collected for its balance.
    payment_record(
        regie=regie, family=old, kind="cheque", amount="3.20", date=datetime.date(2026, 12, 2)
    )
    payment_record(
        regie=regie, family=paid, kind="cheque", amount="9.00", date=datetime.date(2026, 12, 2)
    )
    mandate_revoke(mandate=mandates[gone])
    return {"families": (new, old, gone, paid, later), "mandates": mandates, "invoices": invoices}


def test_the_file_holds_exactly_the_families_on_direct_debit(regie, families, agent_a):
    invoices, mandates = families["invoices"], families["mandates"]
    new, old = families["families"][:2]
    batch = batch_generate(regie=regie, debit_date=DEBIT, by=agent_a)
    assert batch.count == 2 and batch.total == Decimal("57.50")
    tree = _tree(batch)
    assert tree.tag == f"{{{NS['p']}}}Document"
    header = tree.find("p:CstmrDrctDbtInitn/p:GrpHdr", NS)
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "2"
    assert header.findtext("p:CtrlSum", namespaces=NS) == "57.50"
    for info in tree.iterfind(".//p:PmtInf", NS):
        assert info.findtext("p:ReqdColltnDt", namespaces=NS) == "2026-12-10"
        assert info.findtext("p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS) == ICS
        assert info.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == CREDITOR_IBAN
        assert info.findtext("p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "BDFEFRPPCCT"
    assert _transactions(tree) == {
        invoices["new"].number: (Decimal("42.50"), "FRST", mandates[new].rum, IBANS[0]),
        invoices["old"].number: (Decimal("15.00"), "RCUR", mandates[old].rum, IBANS[1]),
    }
    # The payments « prélèvement » at the collection date, the invoices paid.
    for key, amount in (("new", "42.50"), ("old", "15.00")):
        invoice = Invoice.objects.get(pk=invoices[key].pk)
        assert invoice.status == "paid" and invoice.balance == 0
        payment = invoice.payments.get(kind=Payment.Kind.DIRECT_DEBIT)
        assert payment.date == DEBIT and payment.amount == Decimal(amount)
    for key in ("gone", "paid", "later"):
        assert not DirectDebitItem.objects.filter(invoice=invoices[key]).exists()
    # FRST switched to RCUR.
    assert Mandate.objects.get(pk=mandates[new].pk).sequence == "RCUR"
    assert batch.created_by == agent_a and batch.status == "generated"


def test_the_file_validates_against_sepaxmls_schema(regie, families):
    import os

    import xmlschema
    from sepaxml import validation

    batch = batch_generate(regie=regie, debit_date=DEBIT)
    schema = xmlschema.XMLSchema(
        os.path.join(os.path.dirname(validation.__file__), "schemas", "pain.008.001.08.xsd")
    )
    with batch.file.open("rb") as handle:
        assert schema.is_valid(handle.read().decode())


def test_a_second_export_is_rcur_and_nothing_is_collected_twice(regie, families):
    new = families["families"][0]
    first = batch_generate(regie=regie, debit_date=DEBIT)
    with pytest.raises(DirectDebitError, match="Aucune facture à prélever"):
        batch_generate(regie=regie, debit_date=DEBIT)
    assert DirectDebitBatch.objects.count() == 1
    # The database refuses the same invoice in a second batch, whatever the code does.
    item = first.items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        DirectDebitItem.objects.create(
            batch=first,
            invoice=item.invoice,
            mandate=item.mandate,
            payment=Payment.objects.exclude(pk=item.payment_id).first(),
            amount=1,
            sequence="RCUR",
            end_to_end_id="AUTRE",
        )
    january = _invoice(regie, new, amount="30.00", debit=datetime.date(2027, 1, 8))
    second = batch_generate(regie=regie, debit_date=datetime.date(2027, 1, 8))
    assert _transactions(_tree(second)) == {
        january.number: (Decimal("30.00"), "RCUR", families["mandates"][new].rum, IBANS[0])
    }


def test_refused_batches_change_nothing(regie, families):
    with pytest.raises(DirectDebitError, match="postérieure à aujourd’hui"):
        batch_generate(regie=regie, debit_date=DEBIT, collection_date=TODAY)
    regie.creditor_iban = ""
    regie.save()
    with pytest.raises(DirectDebitError, match="IBAN"):
        batch_generate(regie=regie, debit_date=DEBIT)
    assert not DirectDebitBatch.objects.exists()
    assert not Payment.objects.filter(kind=Payment.Kind.DIRECT_DEBIT).exists()


def test_a_passed_debit_date_is_collected_on_a_later_day(regie, families):
    invoice = families["invoices"]["new"]
    with time_machine.travel(datetime.datetime(2026, 12, 12, 9, 0, tzinfo=datetime.UTC)):
        batch = batch_generate(
            regie=regie, debit_date=DEBIT, collection_date=datetime.date(2026, 12, 15)
        )
    assert batch.collection_date == datetime.date(2026, 12, 15)
    invoice.refresh_from_db()
    assert invoice.direct_debit_date == datetime.date(2026, 12, 15)
    assert invoice.payments.get().date == datetime.date(2026, 12, 15)


# --- the rejet ------------------------------------------------------------------------------


def test_a_rejet_puts_the_invoice_back_to_pay_and_tells_the_family(regie, families, agent_a):
    batch = batch_generate(regie=regie, debit_date=DEBIT)
    new = families["families"][0]
    invoice = families["invoices"]["new"]
    item = batch.items.get(invoice=invoice)
    OutboxEmail.objects.all().delete()
    with pytest.raises(DirectDebitError, match="précéder"):
        debit_reject(item=item, date=TODAY, reason_code="AM04")
    with time_machine.travel(datetime.datetime(2026, 12, 14, 9, 0, tzinfo=datetime.UTC)):
        with pytest.raises(DirectDebitError, match="motif"):
            debit_reject(item=item, date=datetime.date(2026, 12, 14), reason_code="XX99")
        debit_reject(item=item, date=datetime.date(2026, 12, 14), reason_code="AM04", by=agent_a)
        with pytest.raises(DirectDebitError, match="déjà enregistré"):
            debit_reject(item=item, date=datetime.date(2026, 12, 14), reason_code="AM04")
    invoice.refresh_from_db()
    assert invoice.status == "to_pay" and invoice.paid == 0 and invoice.balance == Decimal("42.50")
    assert invoice.direct_debit_date is None
    # Nothing deleted: the payment and its allocation stay, a reversal says they no longer count.
    payment = invoice.payments.get()
    assert payment.allocations.get().amount == Decimal("42.50")
    reversal = PaymentReversal.objects.get(payment=payment)
    assert reversal.reason == "AM04 — Provision insuffisante" and reversal.recorded_by == agent_a
    item.refresh_from_db()
    assert item.status == "rejected" and item.reject_code == "AM04" and item.reversal == reversal
    assert DirectDebitBatch.objects.get(pk=batch.pk).status == "with_rejects"
    # The first debit never went through: the next one is a first one again.
    assert Mandate.objects.get(pk=families["mandates"][new].pk).sequence == "FRST"
    mail = OutboxEmail.objects.get()
    assert mail.subject.endswith("Votre prélèvement du jeudi 10 décembre 2026 a été rejeté")
    assert "provision insuffisante" in mail.body_text
    assert TimelineEvent.objects.filter(verb="direct_debit_rejected", family_id=new.pk).exists()
    # The invoice is not collected again, and may now be cancelled (the debit no longer counts).
    assert not DirectDebitItem.objects.filter(invoice=invoice).exclude(pk=item.pk).exists()
    invoice_cancel(invoice=invoice, by=agent_a, reason="Erreur de facturation")


# --- the back office ------------------------------------------------------------------------


@pytest.fixture
def agent(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


@pytest.fixture
def foreign(collectivity_b):
    """Collectivity B's régie, mandate, batch and debit: present, never reached."""
    regie_b = _regie(collectivity_b, name="Régie Bêta")
    family_b = _family(collectivity_b, "InterditeB", iban=IBANS[1], email="b@example.test")
    mandate_b = mandate_create(regie=regie_b, family=family_b, signature_date=TODAY)
    _invoice(regie_b, family_b)
    batch_b = batch_generate(regie=regie_b, debit_date=DEBIT)
    return {"family": family_b, "mandate": mandate_b, "batch": batch_b, "item": batch_b.items.get()}


def test_another_collectivitys_rows_answer_404(agent, regie, foreign):
    for path in (
        f"familles/{foreign['family'].pk}/mandat/",
        f"mandats/{foreign['mandate'].pk}/revoquer/",
        f"prelevements/{foreign['batch'].pk}/",
        f"prelevements/{foreign['batch'].pk}/fichier/",
        f"prelevements/operations/{foreign['item'].pk}/rejet/",
    ):
        assert agent.get(BASE + path).status_code == 404, path
    assert agent.post(BASE + f"mandats/{foreign['mandate'].pk}/revoquer/").status_code == 404
    response = agent.post(
        BASE + f"prelevements/operations/{foreign['item'].pk}/rejet/",
        {"date": "2026-12-03", "reason_code": "AM04"},
    )
    assert response.status_code == 404
    regie_b = foreign["batch"].regie
    _invoice(regie_b, foreign["family"], debit=DEBIT + datetime.timedelta(days=1))
    prefix = f"lot-{regie_b.pk}-20261211"
    response = agent.post(
        BASE + "prelevements/generer/",
        {"lot": prefix, f"{prefix}-regie": regie_b.pk, f"{prefix}-debit_date": "2026-12-11"},
    )
    assert response.status_code == 404
    assert DirectDebitBatch.objects.filter(regie=regie_b).count() == 1
    assert Mandate.objects.get(pk=foreign["mandate"].pk).status == "active"
    assert DirectDebitItem.objects.get(pk=foreign["item"].pk).status == "collected"
    listing = agent.get(BASE + "prelevements/").content.decode()
    assert "Régie Bêta" not in listing


def test_parents_are_refused(client_a, regie, families):
    batch = batch_generate(regie=regie, debit_date=DEBIT)
    parent = families["families"][0].subscriptions.get().user
    client_a.force_login(parent)
    response = client_a.get(BASE + f"prelevements/{batch.pk}/fichier/")
    assert response.status_code in (302, 403)


def test_the_agent_creates_and_revokes_a_mandate_from_the_account_page(
    agent, regie, collectivity_a
):
    family = _family(collectivity_a, "Dupont", iban=IBANS[0])
    page = agent.get(BASE + f"familles/{family.pk}/compte/").content.decode()
    assert "Prélèvement automatique" in page and "Aucun mandat" in page
    form = agent.get(BASE + f"familles/{family.pk}/mandat/").content.decode()
    assert "FR14 ****" in form and IBANS[0] not in form
    future = agent.post(
        BASE + f"familles/{family.pk}/mandat/",
        {"regie": regie.pk, "signature_date": "2026-12-04"},
    )
    assert future.status_code == 400 and "dans le futur" in future.content.decode()
    response = agent.post(
        BASE + f"familles/{family.pk}/mandat/",
        {"regie": regie.pk, "signature_date": "2026-12-01"},
    )
    assert response.status_code == 302
    mandate = Mandate.objects.get(family=family)
    page = agent.get(BASE + f"familles/{family.pk}/compte/").content.decode()
    assert mandate.rum in page and mandate.iban_masked in page and "FRST" in page
    assert IBANS[0] not in page and "1er décembre 2026" in page
    again = agent.post(
        BASE + f"familles/{family.pk}/mandat/",
        {"regie": regie.pk, "signature_date": "2026-12-01"},
    )
    assert again.status_code == 400 and "déjà un mandat actif" in again.content.decode()
    assert "Révoquer" in agent.get(BASE + f"mandats/{mandate.pk}/revoquer/").content.decode()
    assert agent.post(BASE + f"mandats/{mandate.pk}/revoquer/").status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == "revoked" and mandate.revoked_by is not None
    replay = agent.post(BASE + f"mandats/{mandate.pk}/revoquer/")
    assert replay.status_code == 400 and "déjà révoqué" in replay.content.decode()
    assert "Aucun mandat" in agent.get(BASE + f"familles/{family.pk}/compte/").content.decode()


def test_a_family_without_bank_details_gets_a_french_refusal(agent, regie, collectivity_a):
    family = _family(collectivity_a, "Sanscompte")
    response = agent.post(
        BASE + f"familles/{family.pk}/mandat/",
        {"regie": regie.pk, "signature_date": "2026-12-01"},
    )
    assert response.status_code == 400
    assert "pas de coordonnées bancaires validées" in response.content.decode()
    assert not Mandate.objects.exists()


def test_generate_download_and_reject_through_the_pages(agent, regie, families):
    home = agent.get("/admin/").content.decode()
    assert BASE + "prelevements/" in home
    listing = agent.get(BASE + "prelevements/").content.decode()
    assert "Générer le fichier de prélèvement" in listing and "57,50" in listing
    prefix = f"lot-{regie.pk}-20261210"
    data = {"lot": prefix, f"{prefix}-regie": regie.pk, f"{prefix}-debit_date": "2026-12-10"}
    response = agent.post(BASE + "prelevements/generer/", data)
    assert response.status_code == 302
    batch = DirectDebitBatch.objects.get()
    replay = agent.post(BASE + "prelevements/generer/", data)
    assert replay.status_code == 400 and "Aucune facture à prélever" in replay.content.decode()
    assert DirectDebitBatch.objects.count() == 1
    page = agent.get(BASE + f"prelevements/{batch.pk}/").content.decode()
    assert families["invoices"]["new"].number in page and "Enregistrer un rejet" in page
    download = agent.get(BASE + f"prelevements/{batch.pk}/fichier/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/xml"
    assert download["Content-Disposition"].startswith("attachment;")
    assert f"prelevements-01-2026-12-10-{batch.pk}.xml" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"pain.008.001.08" in b"".join(download.streaming_content)
    item = batch.items.get(invoice=families["invoices"]["old"])
    url = BASE + f"prelevements/operations/{item.pk}/rejet/"
    with time_machine.travel(datetime.datetime(2026, 12, 14, 9, 0, tzinfo=datetime.UTC)):
        bad = agent.post(url, {"date": "2026-12-20", "reason_code": "MD01"})
        assert bad.status_code == 400 and "dans le futur" in bad.content.decode()
        assert agent.post(url, {"date": "2026-12-14", "reason_code": "MD01"}).status_code == 302
        replay = agent.post(url, {"date": "2026-12-14", "reason_code": "MD01"})
        assert replay.status_code == 400 and "déjà enregistré" in replay.content.decode()
    invoice = Invoice.objects.get(pk=item.invoice_id)
    assert invoice.status == "partial" and invoice.balance == Decimal("15.00")
    statement = agent.get(BASE + f"familles/{invoice.family_id}/compte/").content.decode()
    assert "Rejet du règlement" in statement and "MD01" in statement
    export = agent.get(
        BASE + "reglements/export/",
        {"regie": regie.pk, "du": "2026-12-10", "au": "2026-12-10", "format": "csv"},
    ).content.decode("utf-8-sig")
    lines = {line.split(";")[0]: line for line in export.splitlines()[1:]}
    assert lines[item.payment.number].endswith("14/12/2026 MD01 — Pas de mandat valide")
    other = batch.items.exclude(pk=item.pk).get().payment.number
    assert lines[other].endswith(";")


def test_the_batches_page_query_count_does_not_grow(
    agent, regie, collectivity_a, django_assert_max_num_queries
):
    family = _family(collectivity_a, "Dupont", iban=IBANS[0])
    mandate_create(regie=regie, family=family, signature_date=TODAY)
    _invoice(regie, family)
    batch_generate(regie=regie, debit_date=DEBIT)
    agent.get(BASE + "prelevements/")
    with django_assert_max_num_queries(25) as small:
        agent.get(BASE + "prelevements/")
    for index in range(4):
        other = _family(collectivity_a, f"Famille{index}", iban=IBANS[1])
        mandate_create(regie=regie, family=other, signature_date=TODAY)
        day = DEBIT + datetime.timedelta(days=index + 1)
        _invoice(regie, other, debit=day)
        batch_generate(regie=regie, debit_date=day)
        _invoice(regie, other, debit=day + datetime.timedelta(days=20))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert agent.get(BASE + "prelevements/").status_code == 200
    batch = DirectDebitBatch.objects.first()
    with django_assert_max_num_queries(25):
        assert agent.get(BASE + f"prelevements/{batch.pk}/").status_code == 200


def test_the_regie_form_checks_the_creditor_account(agent, regie):
    data = {"code": "01", "name": "Régie enfance", "payfip_saisie": "T", "online_backend": ""}
    bad = agent.post(BASE + f"regies/{regie.pk}/", {**data, "creditor_iban": "FR76 1234"})
    assert bad.status_code == 400 and "IBAN invalide" in bad.content.decode()
    bad = agent.post(
        BASE + f"regies/{regie.pk}/", {**data, "creditor_iban": CREDITOR_IBAN, "creditor_bic": "X1"}
    )
    assert bad.status_code == 400 and "BIC invalide" in bad.content.decode()
    regie.refresh_from_db()
    assert regie.creditor_bic == "BDFEFRPPCCT"
    good = agent.post(
        BASE + f"regies/{regie.pk}/",
        {
            **data,
            "creditor_identifier": ICS,
            "creditor_iban": "fr76 3000 6000 0112 3456 7890 189",
            "creditor_bic": "bdfe frpp cct",
        },
    )
    assert good.status_code == 302
    regie.refresh_from_db()
    assert regie.creditor_iban == CREDITOR_IBAN and regie.creditor_bic == "BDFEFRPPCCT"


# --- the parent -----------------------------------------------------------------------------


def test_the_parent_sees_the_mandate_and_the_debit_date(client_a, regie, families):
    new = families["families"][0]
    client_a.force_login(new.subscriptions.get().user)
    page = client_a.get("/facturation/").content.decode()
    mandate = families["mandates"][new]
    assert "Prélèvement automatique" in page and mandate.rum in page
    assert mandate.iban_masked in page and IBANS[0] not in page
    assert "Prélèvement le 10 décembre 2026" in page
    # Another family's mandate is not shown.
    assert families["mandates"][families["families"][1]].rum not in page
    batch = batch_generate(regie=regie, debit_date=DEBIT)
    with time_machine.travel(datetime.datetime(2026, 12, 14, 9, 0, tzinfo=datetime.UTC)):
        debit_reject(
            item=batch.items.get(invoice__family=new),
            date=datetime.date(2026, 12, 14),
            reason_code="AM04",
        )
    page = client_a.get("/facturation/").content.decode()
    assert "rejeté le 14/12/2026" in page and "Prélèvement le" not in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_generating_at_once_collect_each_invoice_once(regie, families):
    """Four threads click « Générer » for the same date at once: one file, each invoice in
    it once, one payment each; the others are refused (PostgreSQL: SQLite serialises)."""
    import threading

    from django.db import connection

    from portal.scoping import scopes_disabled

    barrier = threading.Barrier(4)
    outcomes = []

    def work():
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                outcomes.append(batch_generate(regie=regie, debit_date=DEBIT).pk)
        except DirectDebitError as refused:
            outcomes.append(refused.message)
        except Exception as error:  # noqa: BLE001 -- reported to the main thread
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    batches = [outcome for outcome in outcomes if isinstance(outcome, int)]
    assert len(batches) == 1, outcomes
    assert all(isinstance(o, str) and "Aucune facture" in o for o in outcomes if o not in batches)
    assert DirectDebitItem.objects.count() == 2
    assert Payment.objects.filter(kind=Payment.Kind.DIRECT_DEBIT).count() == 2
