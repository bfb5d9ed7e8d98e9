"""Reminders of overdue invoices: the collectivity's delays, one reminder per invoice and level
however often the schedule runs, only the highest level when a run is late, letters for the
families without e-mail (printed as one PDF), and the back-office list by level — with another
collectivity's invoices present and never reached."""

import datetime
import re
import zlib
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest
import time_machine
from django_q.models import Schedule

from billing import tasks
from billing.models import Invoice, InvoiceReminder, Regie
from billing.selectors import reminder_level
from billing.services import invoice_cancel, payment_record, reminders_send
from family.models import Guardian
from notifications.models import OutboxEmail, TimelineEvent
from portal.models import reminder_delays_parse
from tests.billing.test_invoices import DAY, issue
from tests.planning.factories import ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
BASE = "/admin/facturation/relances/"
DUE = DAY + datetime.timedelta(days=30)  # what ``issue`` sets: 31 December 2026


def pdf_pages(content: bytes) -> int:
    """Pages of a PDF, counted from its page objects (``/Type /Page``), looked for in the file
    and in its compressed streams (PDF 1.7 keeps objects in compressed object streams)."""
    data = content
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            data += zlib.decompress(match.group(1))
        except zlib.error:
            continue
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", data))


@pytest.fixture
def regie(collectivity_a):
    return Regie.objects.create(
        collectivity=collectivity_a,
        code="01",
        name="Régie enfance",
        address="Hôtel de ville\n1 place de la Mairie\n45630 Alpha",
    )


def _family(collectivity, name, *, account=True, guardian_email=""):
    family = FamilyFactory(collectivity=collectivity, name=name)
    Guardian.objects.create(
        family=family,
        rank=1,
        first_name="Léa",
        last_name=name,
        is_payer=True,
        email=guardian_email,
        address="3 rue des Lilas",
        postal_code="45000",
        city="Orléans",
    )
    ChildFactory(family=family, first_name="Emma")
    if account:
        SubscriptionFactory(user=UserFactory(email=f"{name.lower()}@example.test"), family=family)
    return family


def _issue(regie, family, **kwargs):
    return issue(regie, family, child=family.children.first(), **kwargs)


@pytest.fixture
def family(collectivity_a):
    return _family(collectivity_a, "Dupont")


@pytest.fixture
def foreign(collectivity_b):
    """Collectivity B's overdue invoice, of a family without e-mail (a letter): present, never
    shown to A's agents."""
    regie_b = Regie.objects.create(collectivity=collectivity_b, code="01", name="Régie Bêta")
    family_b = _family(collectivity_b, "InterditeB", account=False)
    return _issue(regie_b, family_b)


def _reminder_emails():
    return OutboxEmail.objects.filter(idempotency_key__startswith="reminder:")


# --- the delays ---------------------------------------------------------------------------


def test_delays_are_parsed_and_refused_in_french():
    assert reminder_delays_parse("30 15") == [15, 30]
    assert reminder_delays_parse(" 10, 20; 45 ") == [10, 20, 45]
    assert reminder_delays_parse("") == []
    for value, message in [
        ("15 abc", "« abc » n’est pas un nombre de jours"),
        ("0", "« 0 » n’est pas un nombre de jours entre 1 et 365"),
        ("400", "« 400 »"),
        ("15 15", "Le délai de 15 jours est indiqué deux fois."),
        ("1 2 3 4 5 6", "au plus 5 délais"),
        ("-3", "« -3 »"),
    ]:
        with pytest.raises(ValidationError) as error:
            reminder_delays_parse(value)
        assert message in error.value.messages[0], value


def test_the_collectivity_setting_is_validated(collectivity_a):
    assert collectivity_a.reminder_delays == "15 30"  # the default
    collectivity_a.reminder_delays = "15 quinze"
    with pytest.raises(ValidationError) as error:
        collectivity_a.full_clean()
    assert "reminder_delays" in error.value.message_dict


def test_levels_follow_the_delays():
    due = datetime.date(2026, 1, 31)
    days = [15, 30]
    assert reminder_level(due_date=due, today=due, delays=days) == 0
    assert reminder_level(due_date=due, today=due + datetime.timedelta(14), delays=days) == 0
    assert reminder_level(due_date=due, today=due + datetime.timedelta(15), delays=days) == 1
    assert reminder_level(due_date=due, today=due + datetime.timedelta(29), delays=days) == 1
    assert reminder_level(due_date=due, today=due + datetime.timedelta(30), delays=days) == 2
    assert reminder_level(due_date=due, today=due + datetime.timedelta(300), delays=days) == 2


# --- sending ------------------------------------------------------------------------------


def test_the_schedule_run_twice_sends_one_reminder_per_level(regie, family, foreign):
    invoice = _issue(regie, family)
    assert reminders_send(today=DUE + datetime.timedelta(days=14)) == 0
    # Day 15: level 1, whatever the number of runs that day or the next ones.
    for days in (15, 15, 16, 29):
        reminders_send(today=DUE + datetime.timedelta(days=days))
    assert list(invoice.reminders.values_list("level", "channel")) == [(1, "email")]
    email = _reminder_emails().filter(family_id=family.pk).get()
    assert email.idempotency_key == f"reminder:invoice-{invoice.pk}:level-1"
    assert email.to == ["dupont@example.test"]
    assert f"Rappel : votre facture {invoice.number} n’est pas réglée" in email.subject
    assert "il reste 24,80" in email.body_text and "31 décembre 2026" in email.body_text
    assert f"/facturation/factures/{invoice.pk}/" in email.body_text
    # Day 30: level 2, once.
    for days in (30, 30, 45):
        reminders_send(today=DUE + datetime.timedelta(days=days))
    assert list(invoice.reminders.values_list("level", flat=True)) == [1, 2]
    emails = _reminder_emails().filter(family_id=family.pk).order_by("pk")
    assert [e.idempotency_key.rsplit("-", 1)[1] for e in emails] == ["1", "2"]
    assert "Relance n° 2" in emails[1].subject
    events = TimelineEvent.objects.filter(verb="invoice_reminder", subject_id=invoice.pk)
    assert [e.data["level"] for e in events.order_by("pk")] == [1, 2]
    assert "Relance n° 2 par e-mail" in events.order_by("pk").last().message
    # B's invoice was reminded in B (by letter: no e-mail), as B's own.
    assert list(foreign.reminders.values_list("level", "channel")) == [(1, "letter"), (2, "letter")]


def test_the_task_runs_on_the_local_day(regie, family):
    invoice = _issue(regie, family)
    # 15 January 2027, 07:00 in Paris (06:00 UTC): 15 days after the due date.
    with time_machine.travel(datetime.datetime(2027, 1, 15, 6, 0, tzinfo=datetime.UTC)):
        assert tasks.reminders_send() == 1
        assert tasks.reminders_send() == 0
    assert invoice.reminders.get().level == 1


def test_a_late_first_run_sends_only_the_highest_level(regie, family):
    invoice = _issue(regie, family)
    reminders_send(today=DUE + datetime.timedelta(days=40))
    assert list(invoice.reminders.values_list("level", flat=True)) == [2]
    assert _reminder_emails().count() == 1
    reminders_send(today=DUE + datetime.timedelta(days=41))
    assert invoice.reminders.count() == 1


def test_paid_cancelled_and_pending_debits_get_none(regie, family, collectivity_a):
    paid = _issue(regie, family)
    payment_record(regie=regie, family=family, kind="cash", amount=paid.total, date=DAY)
    cancelled = _issue(regie, family)
    invoice_cancel(invoice=cancelled, by=None, reason="Erreur de saisie")
    later = DUE + datetime.timedelta(days=20)
    pending_debit = _issue(regie, family, direct_debit_date=later)
    past_debit = _issue(regie, family, direct_debit_date=DUE)
    partial = _issue(regie, family)
    payment_record(
        regie=regie, family=family, kind="cash", amount="10", date=DAY, invoice_ids=[partial.pk]
    )
    not_yet = issue(regie, family, day=DAY + datetime.timedelta(days=10))
    reminders_send(today=DUE + datetime.timedelta(days=15))
    reminded = set(InvoiceReminder.objects.values_list("invoice_id", flat=True))
    assert reminded == {past_debit.pk, partial.pk}
    assert partial.reminders.get().balance == Decimal("14.80")
    assert not {paid.pk, cancelled.pk, pending_debit.pk, not_yet.pk} & reminded
    # Once its debit date is past and it is still unpaid (a returned debit), it is reminded.
    reminders_send(today=later + datetime.timedelta(days=1))
    assert pending_debit.reminders.get().level == 1


def test_no_delays_no_reminders(regie, family, collectivity_a):
    collectivity_a.reminder_delays = ""
    collectivity_a.save()
    _issue(regie, family)
    assert reminders_send(today=DUE + datetime.timedelta(days=100)) == 0
    assert not InvoiceReminder.objects.exists()


def test_the_dossier_address_serves_when_no_account_and_else_a_letter(regie, collectivity_a):
    by_dossier = _family(collectivity_a, "Martin", account=False, guardian_email="L@Exemple.fr")
    by_post = _family(collectivity_a, "Petit", account=False)
    first, second = _issue(regie, by_dossier), _issue(regie, by_post)
    reminders_send(today=DUE + datetime.timedelta(days=15))
    assert first.reminders.get().channel == "email"
    assert _reminder_emails().get().to == ["l@exemple.fr"]
    assert second.reminders.get().channel == "letter"
    assert not _reminder_emails().filter(family_id=by_post.pk).exists()


def test_the_query_count_does_not_grow_with_the_invoices(regie, collectivity_a):
    def run(count, day, today):
        for index in range(count):
            family = _family(collectivity_a, f"Famille{count}{index}", account=bool(index % 2))
            _issue(regie, family, day=day)
        with CaptureQueriesContext(connection) as queries:
            sent = reminders_send(today=today)
        return sent, len(queries)

    small = run(2, DAY, DUE + datetime.timedelta(days=15))
    # 8 new invoices at level 1, and the 2 first ones at level 2: 10 reminders.
    large = run(8, DAY + datetime.timedelta(days=15), DUE + datetime.timedelta(days=30))
    assert (small[0], large[0]) == (2, 10)
    assert large[1] <= small[1], (small, large)


def test_schedules_are_installed_at_their_local_hour(db):
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC)):
        call_command("schedules_install")
        call_command("schedules_install")
    reminders = Schedule.objects.get(func="billing.tasks.reminders_send")
    assert (reminders.schedule_type, reminders.cron) == (Schedule.CRON, "0 7 * * *")
    first = timezone.localtime(reminders.next_run)
    assert (first.date(), first.hour, first.minute) == (datetime.date(2026, 12, 3), 7, 0)
    certificates = Schedule.objects.get(func="billing.tasks.tax_certificates_generate")
    first = timezone.localtime(certificates.next_run)
    assert (first.date(), first.hour) == (datetime.date(2027, 1, 15), 6)
    assert Schedule.objects.filter(func="billing.tasks.reminders_send").count() == 1


# --- the back office ----------------------------------------------------------------------


@pytest.fixture
def agent(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


JANUARY_31 = datetime.datetime(2027, 1, 31, 9, 0, tzinfo=datetime.UTC)


def _on_january_31(client, user):
    """The agent's session, opened on the day the page is read (sessions expire)."""
    client.force_login(user)
    return client


def _world(regie, collectivity_a):
    """Four overdue invoices on 31 January 2027 (31 days after their due date): one
    reminded at level 2 by e-mail, one at level 1 by post (day 15), two by post at level 2,
    and one not yet overdue."""
    by_mail = _family(collectivity_a, "Dupont")
    by_post = [_family(collectivity_a, f"Courrier{n}", account=False) for n in range(3)]
    first = _issue(regie, by_mail)
    letters = [_issue(regie, family) for family in by_post]
    reminders_send(today=DUE + datetime.timedelta(days=31))
    level_one = _issue(regie, by_post[0], day=DAY + datetime.timedelta(days=16))
    reminders_send(today=DUE + datetime.timedelta(days=31))
    fresh = _issue(regie, by_mail, day=DAY + datetime.timedelta(days=40))
    return {"mail": first, "letters": letters, "level_one": level_one, "fresh": fresh}


def test_the_list_groups_overdue_invoices_by_level(
    client_a, agent_a, regie, collectivity_a, foreign
):
    world = _world(regie, collectivity_a)
    assert world["level_one"].reminders.get().level == 1
    with time_machine.travel(JANUARY_31):
        agent = _on_january_31(client_a, agent_a)
        page = agent.get(BASE).content.decode()
        assert "5 factures en retard." in page
        assert world["mail"].number in page and world["fresh"].number not in page
        assert "InterditeB" not in page
        assert "Relance n° 2" in page and "par courrier" in page and "par e-mail" in page
        assert ">31<" in page and "24,80" in page  # days overdue, balance
        level_one = agent.get(BASE, {"niveau": "1"}).content.decode()
        assert "1 facture en retard." in level_one and world["level_one"].number in level_one
        assert agent.get(BASE, {"niveau": "9"}).status_code == 400
        assert "3 lettres à imprimer" in agent.get(BASE, {"niveau": "2"}).content.decode()


def test_the_letters_pdf_has_one_page_per_letter(client_a, agent_a, regie, collectivity_a, foreign):
    world = _world(regie, collectivity_a)
    with time_machine.travel(JANUARY_31):
        agent = _on_january_31(client_a, agent_a)
        response = agent.get(BASE + "lettres/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        content = response.content
        assert content.startswith(b"%PDF-")
        assert pdf_pages(content) == 4  # 3 at level 2, 1 at level 1; not the e-mailed one
        assert pdf_pages(agent.get(BASE + "lettres/", {"niveau": "1"}).content) == 1
        assert agent.get(BASE + "lettres/", {"niveau": "0"}).status_code == 404
    assert world["mail"].reminders.get().channel == "email"


def test_the_letter_reads_in_french_with_the_collectivitys_article(collectivity_a, regie):
    from billing.pdf import reminder_letters_pdf
    from billing.selectors import overdue_invoices

    collectivity_a.name_with_article = "la Ville d’Alpha"
    collectivity_a.save()
    invoice = _issue(regie, _family(collectivity_a, "Petit", account=False))
    today = DUE + datetime.timedelta(days=16)
    reminders_send(today=today)
    rows = list(overdue_invoices(Invoice.objects.all(), today=today))
    html = render_to_string(
        "billing/pdf/reminder_letters.html",
        {"invoices": rows, "collectivity": collectivity_a, "today": today},
    )
    assert "Pour la Ville d’Alpha" in html and invoice.number in html
    assert "Objet : rappel" in html and "Léa Petit" in html and "45000 Orléans" in html
    assert pdf_pages(reminder_letters_pdf(rows, collectivity=collectivity_a, today=today)) == 1


def test_the_menu_lists_the_new_pages(agent):
    home = agent.get("/admin/").content.decode()
    assert BASE in home and "/admin/facturation/attestations/" in home


def test_the_list_page_has_a_fixed_number_of_queries(client_a, agent_a, regie, collectivity_a):
    def page_queries(count):
        for index in range(count):
            family = _family(collectivity_a, f"Liste{count}{index}", account=bool(index % 2))
            _issue(regie, family)
        reminders_send(today=timezone.localdate())
        with CaptureQueriesContext(connection) as queries:
            page = agent.get(BASE)
        assert page.status_code == 200 and page.content.decode().count("Relance n° 2") >= count
        return len(queries)

    with time_machine.travel(JANUARY_31):
        agent = _on_january_31(client_a, agent_a)
        small = page_queries(2)
        large = page_queries(7)
    assert large <= small, (small, large)


def test_the_delays_are_edited_in_the_collectivity_settings(client_a, editor_a, collectivity_a):
    client_a.force_login(editor_a)
    page = client_a.get(f"/admin/settings/portal/collectivity/{collectivity_a.site_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Relances des factures impayées" in html and 'name="reminder_delays"' in html
