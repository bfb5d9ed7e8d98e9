"""Demo loader of billing (after ``planning.demo.load``): a régie per demo collectivity
(Beaulieu's pays online through the simulator, ``online_backend="dummy"``) and three months of
invoices (September to November 2026, issued at the start of the next month) for the demo
families, with their payments:

- the first family (``parent1@…``'s): September paid by cheque, October and November to pay
  (so that two can be paid at once online), and the Toussaint holiday centre cancelled by a
  credit note;
- the second: September unpaid past its due date (overdue), October partly paid (CESU),
  November to pay;
- the third, on direct debit: every invoice carries its « Prélèvement le … » date, September
  and October taken. At Beaulieu it holds an active SEPA mandate (RCUR: two debits taken)
  on the bank details of its dossier, and the régie its creditor account, so that
  « Prélèvements » lists November's invoice to collect on 10 December.

Invoicing runs (« Facturations »): tariffs with family-quotient brackets for the demo
activities (the canteen with a sibling reduction and a billed-absence price, after-school care
by the hour), a quotient for the first two demo families (the third has none: it pays the
highest bracket), the previous month's run of the register's days already issued (its invoice
and PDF in ``parent1@…``'s « Espace facturation »), and the current month's run in draft, whose
reserved days not yet recorded are listed as anomalies « Jours non pointés ».

Everything goes through the services (``invoice_issue``, ``payment_record``,
``invoice_cancel``), so numbers, PDFs and timeline events are the real ones. Idempotent: an
invoice is found again by its régie, family and label, and its payments are recorded only when
it is first issued.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from family.models import Family, QuotientPeriod
from planning.models import Activity
from portal.models import Membership

from .models import (
    Invoice,
    InvoicingRun,
    Mandate,
    Payment,
    Regie,
    Tariff,
    TariffBracket,
    TariffRankReduction,
)
from .pdf import invoices_pdf_render
from .services import LineInput, invoice_cancel, invoice_issue, payment_record
from .services.direct_debit import mandate_create
from .services.runs import run_compute, run_create, run_issue_process, run_issue_start

REGIES = {
    "beaulieu": {
        "name": "Régie enfance de Beaulieu-sur-Loire",
        "address": "Hôtel de ville\n1 place de la Mairie\n45630 Beaulieu-sur-Loire",
        "online_backend": Regie.Backend.DUMMY,
        "creditor_identifier": "FR72ZZZ123456",
        # A test account at the Banque de France (the Trésor public's bank), valid for schwifty.
        "creditor_iban": "FR7630001000640000001234559",
        "creditor_bic": "BDFEFRPPCCT",
    },
    "valfleuri": {
        "name": "Régie enfance-jeunesse du Val Fleuri",
        "address": "Maison des services\n12 avenue des Tilleuls\n26400 Val-Fleuri",
        "online_backend": "",
        "creditor_identifier": "",
        "creditor_iban": "",
        "creditor_bic": "",
    },
}
# (label, issue date, due date, canteen meals, evenings) per month billed.
MONTHS = [
    ("Septembre 2026", datetime.date(2026, 10, 1), datetime.date(2026, 10, 31), 14, 6),
    ("Octobre 2026", datetime.date(2026, 11, 2), datetime.date(2026, 12, 2), 12, 5),
    ("Novembre 2026", datetime.date(2026, 12, 1), datetime.date(2026, 12, 31), 15, 7),
]
MEAL, EVENING = Decimal("4.20"), Decimal("2.50")
TOUSSAINT = "Accueil de loisirs — vacances de la Toussaint 2026"


def _lines(family: Family, month: str, meals: int, evenings: int) -> list[LineInput]:
    lines = []
    for index, child in enumerate(family.children.order_by("birth_date", "pk")):
        lines.append(
            LineInput(
                label="Restauration scolaire",
                quantity=Decimal(meals - index),
                unit_price=MEAL,
                child=child,
                period=month.lower(),
                details="Repas réservés ou absences facturées",
            )
        )
        if index == 0:
            lines.append(
                LineInput(
                    label="Accueil périscolaire soir",
                    quantity=Decimal(evenings),
                    unit_price=EVENING,
                    child=child,
                    period=month.lower(),
                )
            )
    return lines


def _issue(regie, family, label, issue_date, due_date, lines, agent, debit=None):
    """The invoice of this label, issued the first time only: (invoice, created)."""
    found = Invoice.objects.filter(regie=regie, family=family, label=label).first()
    if found is not None:
        return found, False
    invoice = invoice_issue(
        regie=regie,
        family=family,
        lines=lines,
        issue_date=issue_date,
        due_date=due_date,
        label=label,
        by=agent,
        direct_debit_date=debit,
        notify=False,
    )
    return invoice, True


def _pay(regie, family, invoice, kind, amount, date, agent, reference=""):
    payment_record(
        regie=regie,
        family=family,
        kind=kind,
        amount=amount,
        date=date,
        reference=reference,
        invoice_ids=[invoice.pk],
        by=agent,
        notify=False,
    )


def _family_invoices(regie, families, agent) -> None:
    first, second, third = families[:3]
    for index, (label, issue_date, due_date, meals, evenings) in enumerate(MONTHS):
        invoice, new = _issue(
            regie, first, label, issue_date, due_date, _lines(first, label, meals, evenings), agent
        )
        if new and index == 0:
            _pay(
                regie,
                first,
                invoice,
                Payment.Kind.CHEQUE,
                invoice.total,
                datetime.date(2026, 10, 20),
                agent,
                reference="Chèque n° 2034512",
            )
        invoice, new = _issue(
            regie,
            second,
            label,
            issue_date,
            due_date,
            _lines(second, label, meals, evenings),
            agent,
        )
        if new and index == 1:
            _pay(
                regie,
                second,
                invoice,
                Payment.Kind.CESU,
                Decimal("20.00"),
                datetime.date(2026, 11, 20),
                agent,
                reference="CESU 4 titres",
            )
        debit = issue_date + datetime.timedelta(days=9)
        invoice, new = _issue(
            regie,
            third,
            label,
            issue_date,
            due_date,
            _lines(third, label, meals, evenings),
            agent,
            debit=debit,
        )
        if new and index < 2:
            _pay(
                regie,
                third,
                invoice,
                Payment.Kind.DIRECT_DEBIT,
                invoice.total,
                debit,
                agent,
                reference="Prélèvement SEPA",
            )
    child = first.children.order_by("birth_date", "pk").first()
    holiday, new = _issue(
        regie,
        first,
        TOUSSAINT,
        datetime.date(2026, 11, 2),
        datetime.date(2026, 12, 2),
        [
            LineInput(
                label="Accueil de loisirs",
                quantity=Decimal(4),
                unit_price=Decimal("12.00"),
                child=child,
                period="du 19 au 23 octobre 2026",
            )
        ],
        agent,
    )
    if new:
        invoice_cancel(
            invoice=holiday,
            by=agent,
            reason="Le centre de loisirs était fermé le 22 octobre : facture remplacée par la "
            "facture d’octobre.",
        )


MANDATE_SIGNED = datetime.date(2026, 9, 1)


def _mandate(regie, family, agent) -> None:
    """The third family's mandate, where the régie collects by direct debit (an ICS)."""
    if not regie.creditor_identifier:
        return
    if Mandate.objects.filter(regie=regie, family=family, status=Mandate.Status.ACTIVE).exists():
        return
    mandate = mandate_create(
        regie=regie, family=family, signature_date=MANDATE_SIGNED, by=agent, notify=False
    )
    # September and October were taken already (the demo's history): the next one recurs.
    Mandate.objects.filter(pk=mandate.pk).update(sequence=Mandate.Sequence.RECURRING)


def load(context):
    loaded = []
    for key, spec in REGIES.items():
        collectivity = context.collectivities.get(key)
        if collectivity is None:
            continue
        regie, _created = Regie.objects.update_or_create(
            collectivity=collectivity, code="01", defaults={**spec, "is_active": True}
        )
        families = list(
            Family.objects.filter(
                collectivity=collectivity, external_ref__startswith="DEMO-"
            ).order_by("external_ref")
        )
        agent = (
            Membership.objects.filter(collectivity=collectivity, role=Membership.Role.AGENT)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if len(families) < 3 or agent is None:
            continue
        # Before the invoices (and any invoicing run): the debit dates follow the mandate.
        _mandate(regie, families[2], agent.user)
        _family_invoices(regie, families, agent.user)
        _reminders_and_certificates(collectivity, regie, families, agent.user)
        _tariffs_load(collectivity)
        _quotients_load(families)
        _runs_load(regie, collectivity, agent.user)
        loaded.append(collectivity.name)
    if loaded:
        context.notes.append(
            "\nFacturation : une régie par collectivité et les factures de septembre à "
            "novembre 2026 des familles de démonstration (Facturation → Factures) : une en "
            "retard, une partiellement payée, une famille prélevée, une facture annulée par un "
            "avoir. parent1@… a deux factures à payer (Espace facturation) ; à Beaulieu, le "
            "paiement en ligne passe par le simulateur, et la famille prélevée a son mandat "
            "SEPA (Facturation → Prélèvements : le fichier du 10 décembre à générer)."
            "\nRelances et attestations : la facture de septembre en retard a reçu sa relance "
            "n° 1 (Facturation → Relances) ; les accueils périscolaires, du mercredi et de "
            "loisirs sont des « frais de garde », et parent1@… a l’attestation fiscale 2025 de "
            "son plus jeune enfant (Espace facturation → Attestations fiscales)."
            "\nFacturations : le mois précédent émis à partir du pointage (Facturation → "
            "Facturations), le mois en cours en brouillon avec ses anomalies (jours non pointés)."
        )


# --- reminders and tax certificates (issue #14, items 4 and 5) ------------------------------

# The activities that are childcare (« frais de garde ») for the tax certificate; the canteen
# is not (meals are left out of the tax credit).
CHILDCARE_KINDS = ("morning_care", "evening_care", "wednesday", "holiday_centre")
# The day the demo's reminders were sent: 16 days after the September invoices' due date
# (31 October 2026), so the overdue one has its level-1 reminder (with « 15 30 »).
REMINDERS_DAY = datetime.date(2026, 11, 16)
CERTIFICATE_YEAR = 2025
NOVEMBER_2025 = "Novembre 2025"


def _reminders_and_certificates(collectivity, regie, families, agent) -> None:
    """Childcare activities marked; the overdue September invoice reminded (level 1, through
    the real service: idempotent, one reminder per invoice and level); for the first family,
    a November 2025 invoice paid in December 2025 and the 2025 tax certificates made from it
    (``tax_certificates_generate``: the certificates already made are kept)."""
    from planning.models import Activity

    from .services import reminders_send, tax_certificates_generate

    activities = Activity.objects.filter(collectivity=collectivity)
    activities.filter(kind__in=CHILDCARE_KINDS).update(childcare=True)
    reminders_send(today=REMINDERS_DAY)
    first = families[0]
    by_kind = {activity.kind: activity for activity in activities.order_by("pk")}
    lines = []
    for index, child in enumerate(first.children.order_by("-birth_date", "pk")):
        lines += [
            LineInput(
                label="Accueil périscolaire soir",
                quantity=Decimal(8 - index),
                unit_price=EVENING,
                child=child,
                period="novembre 2025",
                activity=by_kind.get("evening_care"),
            ),
            LineInput(
                label="Restauration scolaire",
                quantity=Decimal(15),
                unit_price=MEAL,
                child=child,
                period="novembre 2025",
                activity=by_kind.get("canteen"),
            ),
        ]
    invoice, new = _issue(
        regie,
        first,
        NOVEMBER_2025,
        datetime.date(2025, 12, 1),
        datetime.date(2025, 12, 31),
        lines,
        agent,
    )
    if new:
        _pay(
            regie,
            first,
            invoice,
            Payment.Kind.CHEQUE,
            invoice.total,
            datetime.date(2025, 12, 15),
            agent,
            reference="Chèque n° 1987342",
        )
    tax_certificates_generate(collectivity=collectivity, year=CERTIFICATE_YEAR, by=agent)


# (activity name, unit, brackets (QF from, to, price), absence price, reductions (rank, %)).
TARIFFS = [
    (
        "Restauration scolaire",
        Tariff.Unit.MEAL,
        [("0", "700", "2.10"), ("700.01", "1200", "3.40"), ("1200.01", None, "4.60")],
        "1.50",
        [(2, "80"), (3, "60")],
    ),
    (
        "Accueil périscolaire soir",
        Tariff.Unit.HOUR,
        [("0", "700", "0.90"), ("700.01", "1200", "1.40"), ("1200.01", None, "1.90")],
        None,
        [],
    ),
    (
        "Accueil périscolaire matin",
        Tariff.Unit.HOUR,
        [("0", "700", "0.90"), ("700.01", "1200", "1.40"), ("1200.01", None, "1.90")],
        None,
        [],
    ),
    (
        "Accueil du mercredi",
        Tariff.Unit.DAY,
        [("0", "700", "6.00"), ("700.01", "1200", "10.50"), ("1200.01", None, "15.00")],
        "5.00",
        [(2, "90")],
    ),
]
RUN_ACTIVITIES = ("Restauration scolaire", "Accueil périscolaire soir")
QUOTIENTS = ("642.00", "980.00")  # the first two demo families; the third has none


def _tariffs_load(collectivity) -> None:
    activities = {a.name: a for a in Activity.objects.filter(collectivity=collectivity)}
    for name, unit, brackets, absence, reductions in TARIFFS:
        activity = activities.get(name)
        if activity is None or Tariff.objects.filter(activity=activity).exists():
            continue
        tariff = Tariff.objects.create(
            activity=activity,
            valid_from=activity.start_date,
            valid_to=activity.end_date,
            unit=unit,
            absence_price=Decimal(absence) if absence else None,
            no_quotient=Tariff.NoQuotient.HIGHEST,
        )
        TariffBracket.objects.bulk_create(
            TariffBracket(
                tariff=tariff,
                qf_min=Decimal(low),
                qf_max=Decimal(high) if high else None,
                price=Decimal(price),
            )
            for low, high, price in brackets
        )
        TariffRankReduction.objects.bulk_create(
            TariffRankReduction(tariff=tariff, rank=rank, percent=Decimal(percent))
            for rank, percent in reductions
        )


def _quotients_load(families) -> None:
    for family, value in zip(families, QUOTIENTS, strict=False):
        QuotientPeriod.objects.get_or_create(
            family=family,
            valid_from=datetime.date(2026, 1, 1),
            defaults={"value": Decimal(value)},
        )


def _month_label(day: datetime.date) -> str:
    from django.template.defaultfilters import date as date_filter
    from django.utils.translation import override

    with override("fr"):
        return date_filter(day, "F Y").capitalize()


def _runs_load(regie, collectivity, agent) -> None:
    """The previous month issued, the current month in draft (recomputed on each load)."""
    today = timezone.localdate()
    month_start = today.replace(day=1)
    previous_start = (month_start - datetime.timedelta(days=1)).replace(day=1)
    next_start = (month_start + datetime.timedelta(days=32)).replace(day=1)
    activities = list(Activity.objects.filter(collectivity=collectivity, name__in=RUN_ACTIVITIES))
    if not activities:
        return
    due = today + datetime.timedelta(days=30)
    previous_label = f"{_month_label(previous_start)} — pointage"
    previous = InvoicingRun.objects.filter(regie=regie, label=previous_label).first()
    if previous is None:
        previous = run_create(
            regie=regie,
            label=previous_label,
            period_start=previous_start,
            period_end=month_start - datetime.timedelta(days=1),
            activities=activities,
            bill_unrecorded=True,
            due_date=due,
            direct_debit_date=today + datetime.timedelta(days=10),
            by=agent,
        )
    if previous.status in (InvoicingRun.Status.DRAFT, InvoicingRun.Status.FAILED):
        # The demo issues at once (the queued task finds the run issued and does nothing).
        run_issue_start(run=previous, by=agent)
        run_issue_process(run_id=previous.pk, budget=None)
        # Its PDFs too (their queued tasks then find them rendered and do nothing).
        invoices_pdf_render(
            list(Invoice.objects.filter(run=previous, pdf="").values_list("pk", flat=True))
        )
    current_label = _month_label(month_start)
    current = InvoicingRun.objects.filter(regie=regie, label=current_label).first()
    if current is None:
        run_create(
            regie=regie,
            label=current_label,
            period_start=month_start,
            period_end=next_start - datetime.timedelta(days=1),
            activities=activities,
            bill_unrecorded=False,
            due_date=due,
            direct_debit_date=today + datetime.timedelta(days=40),
            by=agent,
        )
    elif current.status == InvoicingRun.Status.DRAFT:
        run_compute(run=current)
