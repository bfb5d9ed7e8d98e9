"""Online payment through eopayment (dummy backend + the project's simulator): the limits, the
flow « Payer » → simulator → notification → return, idempotent and checked notifications,
expiry by the schedule, the simulator absent with production settings, and 404s for another
family's or another collectivity's invoice or transaction."""

import datetime
import importlib
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import override_settings
from django.urls import NoReverseMatch, clear_url_caches, reverse

import pytest
import time_machine

from billing import tasks
from billing.models import Invoice, Payment, PaymentTransaction, Regie
from billing.services import (
    BillingError,
    online_payment_check,
    transaction_start,
    transactions_check,
)
from family.models import Guardian
from notifications.management.commands.schedules_install import SCHEDULES
from notifications.models import OutboxEmail, TimelineEvent
from tests.billing.test_invoices import issue
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = PaymentTransaction.Status
SITE = "http://localhost/"


@pytest.fixture
def online(collectivity_a, collectivity_b):
    for collectivity in (collectivity_a, collectivity_b):
        collectivity.module_online_payment = True
        collectivity.save()
    return collectivity_a


@pytest.fixture
def regie(collectivity_a):
    return Regie.objects.create(
        collectivity=collectivity_a, code="01", name="Régie enfance", online_backend="dummy"
    )


@pytest.fixture
def parent(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(family=family, rank=1, first_name="Léa", last_name="Dupont")
    user = UserFactory(email="lea@example.test")
    SubscriptionFactory(user=user, family=family)
    user.family = family
    return user


@pytest.fixture
def two(regie, parent):
    """Two invoices to pay: 24,80 € and 10,00 €."""
    return issue(regie, parent.family), issue(regie, parent.family, amount="5")


def _start(parent, invoices, email="lea@example.test"):
    return transaction_start(
        family=parent.family, invoices=invoices, email=email, site_url=SITE, by=parent
    )


def _notification(attempt, *, amount=None, orderid=None, outcome=None, signed=True) -> str:
    fields = {
        "transaction_id": attempt.provider_id,
        "amount": str(attempt.amount if amount is None else amount),
        "orderid": attempt.reference if orderid is None else orderid,
        **(outcome or {"ok": "1"}),
    }
    if signed:
        fields["signed"] = "1"
    return urlencode(fields)


def _notify(client, attempt, body):
    return client.post(
        reverse("billing:payment_notify", args=[attempt.uuid]),
        data=body,
        content_type="application/x-www-form-urlencoded",
    )


# --- limits, before any call -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "email", "reference", "message"),
    [
        ("0.99", "lea@example.test", "P01REF", "à partir de 1,00\u00a0€"),
        ("100000.01", "lea@example.test", "P01REF", "limité à 100\u202f000,00\u00a0€"),
        ("10", "", "P01REF", "Indiquez une adresse e-mail"),
        ("10", "lea", "P01REF", "L’adresse e-mail doit être valide"),
        ("10", "lea@example.test", "P01-REF", "de 1 à 30 lettres ou chiffres"),
        ("10", "lea@example.test", "R" * 31, "de 1 à 30 lettres ou chiffres"),
        ("10", "lea@example.test", "Référence", "de 1 à 30 lettres ou chiffres"),
    ],
)
def test_payfip_limits_are_refused_in_french(amount, email, reference, message):
    with pytest.raises(BillingError) as refused:
        online_payment_check(amount=amount, email=email, reference=reference)
    assert message in refused.value.message


def test_the_limits_pass_at_their_bounds():
    online_payment_check(amount="1.00", email="a@b.fr", reference="A")
    online_payment_check(amount="100000.00", email="lea@example.test", reference="9" * 30)


def test_an_amount_under_one_euro_is_refused_before_any_transaction(regie, parent):
    small = issue(regie, parent.family, amount="0.40", quantity="1")
    with pytest.raises(BillingError, match="à partir de 1,00"):
        _start(parent, [small])
    assert not PaymentTransaction.objects.exists()


def test_invoices_of_two_regies_or_not_payable_are_refused(regie, parent, two, collectivity_a):
    other = Regie.objects.create(
        collectivity=collectivity_a, code="02", name="Régie culture", online_backend="dummy"
    )
    with pytest.raises(BillingError, match="plusieurs émetteurs"):
        _start(parent, [two[0], issue(other, parent.family)])
    debit = issue(regie, parent.family, direct_debit_date=datetime.date(2026, 12, 20))
    with pytest.raises(BillingError, match="sera prélevée"):
        _start(parent, [debit])
    Invoice.objects.filter(pk=two[1].pk).update(status=Invoice.Status.PAID, paid=two[1].total)
    two[1].refresh_from_db()
    with pytest.raises(BillingError, match="n’est plus à payer"):
        _start(parent, [two[1]])
    with pytest.raises(BillingError, match="pas proposé"):
        _start(
            parent,
            [
                issue(
                    Regie.objects.create(collectivity=collectivity_a, code="03", name="Sans"),
                    parent.family,
                )
            ],
        )
    assert not PaymentTransaction.objects.exists()


def test_the_dummy_backend_needs_the_simulator(regie, parent, two):
    with override_settings(PORTAL_PAYMENT_SIMULATOR=False), pytest.raises(BillingError):
        _start(parent, list(two))
    assert not PaymentTransaction.objects.exists()


# --- the flow ----------------------------------------------------------------------------------


def test_start_records_the_attempt_and_sends_to_the_simulator(regie, parent, two):
    attempt, url = _start(parent, list(two))
    assert attempt.status == Status.WAITING and attempt.amount == Decimal("34.80")
    assert set(attempt.invoices.all()) == set(two)
    assert len(attempt.reference) <= 30 and attempt.reference.isalnum()
    parts = urlsplit(url)
    assert parts.path == "/simulateur-paiement/" and not parts.netloc
    query = parse_qs(parts.query)
    assert query["transaction_id"] == [attempt.provider_id]
    assert query["amount"] == ["34.80"] and query["orderid"] == [attempt.reference]
    assert query["direct_notification_url"] == [
        f"http://localhost/facturation/paiements/{attempt.uuid}/notification/"
    ]
    assert attempt.responses[0]["kind"] == "request"


def test_pay_page_simulator_notification_and_return(client_a, online, regie, parent, two):
    client_a.force_login(parent)
    page = client_a.get("/facturation/")
    assert page.content.decode().count('name="facture"') == 2
    ids = [two[0].pk, two[1].pk]
    confirm = client_a.get("/facturation/payer/", {"facture": ids}).content.decode()
    assert "Montant à payer : <strong>34,80\u00a0€</strong>" in confirm
    response = client_a.post(
        "/facturation/payer/", {"facture": ids, "email": "lea@example.test", "montant": "34.80"}
    )
    assert response.status_code == 302
    simulator = client_a.get(response["Location"])
    assert simulator.status_code == 200
    html = simulator.content.decode()
    assert "Simulateur de paiement" in html and "34,80" in html
    for label in ("Payer", "Refuser", "Abandonner"):
        assert f">{label}</button>" in html
    hidden = dict(parse_qs(urlsplit(response["Location"]).query))
    data = {key: values[0] for key, values in hidden.items()}
    back = client_a.post("/simulateur-paiement/", {**data, "choix": "payer"})
    assert back.status_code == 302
    result = client_a.get(back["Location"]).content.decode()
    assert "Paiement accepté" in result
    attempt = PaymentTransaction.objects.get()
    assert attempt.status == Status.PAID and attempt.payment.kind == Payment.Kind.CARD
    assert attempt.payment.reference == attempt.provider_id
    assert {i.status for i in Invoice.objects.all()} == {Invoice.Status.PAID}
    assert [r["kind"] for r in attempt.responses] == ["request", "notification", "return"]
    assert (
        OutboxEmail.objects.filter(subject__contains="paiement en ligne est accepté").count() == 1
    )


@pytest.mark.parametrize(
    ("choice", "status", "title"),
    [
        ("refuser", Status.DENIED, "Paiement refusé"),
        ("abandonner", Status.CANCELLED, "Paiement annulé"),
    ],
)
def test_refused_or_abandoned_leaves_the_invoices_to_pay(
    client_a, online, parent, two, choice, status, title
):
    client_a.force_login(parent)
    attempt, url = _start(parent, list(two))
    data = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    back = client_a.post("/simulateur-paiement/", {**data, "choix": choice})
    assert title in client_a.get(back["Location"]).content.decode()
    attempt.refresh_from_db()
    assert attempt.status == status and attempt.payment is None
    assert {i.status for i in Invoice.objects.all()} == {Invoice.Status.TO_PAY}
    refused = OutboxEmail.objects.filter(subject__contains="refusé").count()
    assert refused == (1 if status == Status.DENIED else 0)
    assert TimelineEvent.objects.filter(verb="online_payment_refused").count() == refused


def test_the_return_alone_pays_nothing(client_a, online, parent, two):
    """The browser's return is unsigned (the dummy's): shown as waiting, nothing recorded."""
    client_a.force_login(parent)
    attempt, _url = _start(parent, list(two))
    page = client_a.get(
        reverse("billing:payment_return", args=[attempt.uuid]),
        {"transaction_id": attempt.provider_id, "ok": "1"},
    )
    assert "Paiement en attente" in page.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == Status.WAITING and not Payment.objects.exists()


# --- notifications: idempotent, checked ---------------------------------------------------


def test_the_same_notification_ten_times_records_one_payment(client_a, online, parent, two):
    attempt, _url = _start(parent, list(two))
    body = _notification(attempt)
    for _ in range(10):
        response = _notify(client_a, attempt, body)
        assert response.status_code == 200
    assert response.content == b"signature ok"
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    assert payment.amount == Decimal("34.80") and payment.allocations.count() == 2
    attempt.refresh_from_db()
    assert attempt.status == Status.PAID and attempt.payment == payment
    assert len(attempt.responses) == 11  # the request, then every notification received
    assert OutboxEmail.objects.filter(subject__contains="accepté").count() == 1
    # The same notification by GET (as some backends send it) changes nothing either.
    url = reverse("billing:payment_notify", args=[attempt.uuid])
    assert client_a.get(f"{url}?{body}").status_code == 200
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "forged",
    [
        {"amount": "0.01"},
        {"amount": "3480"},
        {"orderid": "AUTREREFERENCE"},
        {"transaction_id": "0123456789abcdef"},
    ],
)
def test_a_forged_notification_is_refused_and_changes_nothing(
    client_a, online, parent, two, forged
):
    attempt, _url = _start(parent, list(two))
    fields = {k: v[0] for k, v in parse_qs(_notification(attempt)).items()}
    response = _notify(client_a, attempt, urlencode({**fields, **forged}))
    assert response.status_code == 400
    before = attempt.responses
    attempt.refresh_from_db()
    assert attempt.status == Status.WAITING and attempt.responses == before
    assert not Payment.objects.exists()
    assert {i.paid for i in Invoice.objects.all()} == {Decimal("0.00")}


def test_an_unknown_transaction_or_another_collectivitys_is_404(
    client_a, client_b, online, parent, two
):
    attempt, _url = _start(parent, list(two))
    body = _notification(attempt)
    unknown = "/facturation/paiements/00000000-0000-0000-0000-000000000000/notification/"
    assert (
        client_a.post(unknown, body, content_type="application/x-www-form-urlencoded").status_code
        == 404
    )
    assert _notify(client_b, attempt, body).status_code == 404  # B's host, A's transaction
    assert not Payment.objects.exists()


def test_a_notification_without_its_fields_is_refused(client_a, online, parent, two):
    attempt, _url = _start(parent, list(two))
    assert _notify(client_a, attempt, "").status_code == 400
    assert _notify(client_a, attempt, _notification(attempt, signed=False)).status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == Status.WAITING and not Payment.objects.exists()


def test_paid_elsewhere_meanwhile_is_an_error_not_an_overpayment(client_a, online, parent, two):
    from billing.services import payment_record

    attempt, _url = _start(parent, list(two))
    payment_record(
        regie=two[0].regie,
        family=parent.family,
        kind="cheque",
        amount="34.80",
        date=datetime.date(2026, 12, 2),
    )
    assert _notify(client_a, attempt, _notification(attempt)).status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == Status.ERROR and attempt.payment is None
    assert Payment.objects.count() == 1


# --- the schedule ----------------------------------------------------------------------------


def test_an_open_transaction_expires_and_the_invoices_stay_to_pay(online, parent, two):
    assert any(s["func"] == "billing.tasks.payment_status" for s in SCHEDULES)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC)):
        attempt, _url = _start(parent, list(two))
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, 20, tzinfo=datetime.UTC)):
        assert tasks.payment_status() == {"checked": 0, "expired": 0}
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, 31, tzinfo=datetime.UTC)):
        assert tasks.payment_status() == {"checked": 0, "expired": 1}
        assert transactions_check() == {"checked": 0, "expired": 0}
    attempt.refresh_from_db()
    assert attempt.status == Status.EXPIRED
    assert {i.status for i in Invoice.objects.all()} == {Invoice.Status.TO_PAY}
    # The invoices can be paid again at once.
    again, _url = _start(parent, list(two))
    assert again.status == Status.WAITING


def test_a_second_attempt_while_one_is_open_is_refused(online, parent, two):
    _start(parent, [two[0]])
    with pytest.raises(BillingError, match="déjà en cours"):
        _start(parent, list(two))


def test_money_taken_after_expiry_is_still_recorded(client_a, online, parent, two):
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC)):
        attempt, _url = _start(parent, list(two))
    with time_machine.travel(datetime.datetime(2026, 12, 2, 11, 0, tzinfo=datetime.UTC)):
        tasks.payment_status()
        assert _notify(client_a, attempt, _notification(attempt)).status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == Status.PAID and Payment.objects.count() == 1


# --- scoping -------------------------------------------------------------------------------


@pytest.fixture
def foreign(collectivity_a, collectivity_b, regie):
    other = FamilyFactory(collectivity=collectivity_a, name="Interdite")
    Guardian.objects.create(family=other, rank=1, first_name="Max", last_name="Interdite")
    family_b = FamilyFactory(collectivity=collectivity_b, name="Interdite")
    Guardian.objects.create(family=family_b, rank=1, first_name="Zoé", last_name="Interdite")
    regie_b = Regie.objects.create(
        collectivity=collectivity_b, code="01", name="Régie B", online_backend="dummy"
    )
    invoices = issue(regie, other), issue(regie_b, family_b)
    attempts = [
        transaction_start(
            family=invoice.family,
            invoices=[invoice],
            email="x@example.test",
            site_url=SITE,
            by=None,
        )[0]
        for invoice in invoices
    ]
    return invoices, attempts


def test_another_familys_or_collectivitys_invoice_and_transaction_are_404(
    client_a, online, parent, two, foreign
):
    client_a.force_login(parent)
    invoices, attempts = foreign
    for invoice in invoices:
        assert client_a.get("/facturation/payer/", {"facture": invoice.pk}).status_code == 404
        response = client_a.post(
            "/facturation/payer/",
            {"facture": [two[0].pk, invoice.pk], "email": "lea@example.test", "montant": "1"},
        )
        assert response.status_code == 404
    for attempt in attempts:
        url = reverse("billing:payment_return", args=[attempt.uuid])
        assert client_a.get(url).status_code == 404
    assert PaymentTransaction.objects.count() == 2


def test_pay_is_404_when_online_payment_is_off(client_a, collectivity_a, regie, parent, two):
    client_a.force_login(parent)
    assert client_a.get("/facturation/payer/", {"facture": two[0].pk}).status_code == 404
    assert 'name="facture"' not in client_a.get("/facturation/").content.decode()


def test_the_pay_page_explains_a_refusal(client_a, online, regie, parent, two):
    client_a.force_login(parent)
    response = client_a.post(
        "/facturation/payer/", {"facture": [two[0].pk], "email": "", "montant": "24.80"}
    )
    assert response.status_code == 200
    assert "le paiement en ligne l’exige" in response.content.decode()
    response = client_a.post(
        "/facturation/payer/",
        {"facture": [two[0].pk], "email": "lea@example.test", "montant": "20.00"},
    )
    assert (
        response.status_code == 400 and "Le montant à payer a changé" in response.content.decode()
    )
    assert not PaymentTransaction.objects.exists()


# --- the simulator exists only where it is switched on ---------------------------------------


def test_the_simulator_is_absent_with_production_settings(settings):
    import portal.urls

    assert reverse("payment_simulator:index") == "/simulateur-paiement/"
    assert settings.PORTAL_PAYMENT_SIMULATOR is True
    try:
        settings.PORTAL_PAYMENT_SIMULATOR = False
        clear_url_caches()
        importlib.reload(portal.urls)
        with pytest.raises(NoReverseMatch):
            reverse("payment_simulator:index")
        names = [getattr(p, "namespace", None) for p in portal.urls.urlpatterns]
        assert "payment_simulator" not in names
    finally:
        settings.PORTAL_PAYMENT_SIMULATOR = True
        clear_url_caches()
        importlib.reload(portal.urls)
    assert reverse("payment_simulator:index") == "/simulateur-paiement/"


def test_production_settings_leave_the_simulator_off():
    """Production inherits base's False; only dev and test turn it on."""
    from pathlib import Path

    from portal.settings import base

    assert base.PORTAL_PAYMENT_SIMULATOR is False
    production = Path(base.__file__).with_name("production.py").read_text()
    assert "PORTAL_PAYMENT_SIMULATOR" not in production


def test_the_simulator_only_talks_to_this_hosts_notification_url(client_a, online, parent, two):
    attempt, url = _start(parent, list(two))
    data = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    for key, value in (
        ("direct_notification_url", "https://ailleurs.example/notify"),
        ("return_url", "https://ailleurs.example/retour"),
        ("direct_notification_url", "/facturation/"),
    ):
        response = client_a.post("/simulateur-paiement/", {**data, key: value, "choix": "payer"})
        assert response.status_code == 400
    assert not Payment.objects.exists()


def test_an_online_payment_is_a_request_in_mes_demandes(client_a, online, parent, two):
    """« Mes demandes » lists the attempt; its acceptance (by the provider, not the parent) is
    a new message until the parent opens its history."""
    attempt, _url = _start(parent, list(two))
    _notify(client_a, attempt, _notification(attempt))
    client_a.force_login(parent)
    page = client_a.get("/mon-espace/demandes/", {"type": "paiement"}).content.decode()
    assert page.count('<li class="my-request') == 1
    assert "Paiement en ligne de 34,80\u00a0€" in page and "Acceptée" in page
    assert "1 nouveau(x) message(s)" in page
    detail = client_a.get(f"/mon-espace/demandes/paiement/{attempt.pk}/").content.decode()
    assert "accepté" in detail
    after = client_a.get("/mon-espace/demandes/", {"type": "paiement"}).content.decode()
    assert '<span class="unread">' not in after
