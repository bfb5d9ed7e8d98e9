"""Tax certificates (« attestations de frais de garde »), one per family, child and year.

**The rule** (article 200 quater B of the code général des impôts, as impots.gouv.fr states
it): childcare outside the home gives a tax credit for « enfants âgés de moins de 6 ans au 1er
janvier de l’année d’imposition ». For the expenses of year Y a certificate is made for each
child born after 1 January Y-6 (under 6 on 1 January Y; it is what the issue calls « under 7 »:
such a child is at most 6 at the end of Y). A child without a birth date on file gets none
(its age cannot be shown).

**The amount** is what the family *paid* in Y for the child's lines of childcare activities
(``Activity.childcare``): the allocations of payments dated in Y (whenever the invoice was
issued), each spread over its invoice's lines pro rata of their amounts — a partially paid
invoice of 40 € with 30 € of childcare for the child and 10 € of canteen, paid 20 € in Y,
counts 15 €. Sums are kept exact and rounded to the cent (half up) once per certificate.
Cancelled invoices never count (they cannot have been paid). No amount: no certificate.

**Once.** ``tax_certificates_generate`` makes the certificates missing for a year, renders
each PDF once and stores it (private storage); a certificate that exists is never changed or
rendered again (the family may already have used it), so running it twice — the January
schedule, then an agent's button — makes nothing twice. Each certificate is written in its
own short transaction (its row, its file, its timeline event), so a run stopped half-way is
finished by the next one.
"""

import datetime
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import event_record
from portal.errors import DomainError
from portal.formats import euros, money_round
from portal.models import Collectivity
from portal.scoping import tenant_scope

from ..models import ZERO, Invoice, InvoiceLine, PaymentAllocation, TaxCertificate

logger = logging.getLogger(__name__)

FIRST_YEAR = 2000


class CertificateError(DomainError):
    """A refused generation of tax certificates."""


def born_after(year: int) -> datetime.date:
    """Children born strictly after this day are under 6 on 1 January ``year``."""
    return datetime.date(year - 6, 1, 1)


@dataclass
class CertificateAmount:
    family_id: int
    child_id: int
    exact: Decimal = ZERO
    regies: dict = field(default_factory=dict)  # régie id → exact amount
    payers: set = field(default_factory=set)

    @property
    def amount(self) -> Decimal:
        return money_round(self.exact)


def certificate_amounts(*, collectivity, year: int) -> dict[tuple[int, int], CertificateAmount]:
    """(family id, child id) → what was paid in ``year`` for the child's childcare, in two
    queries whatever the number of families."""
    paid = dict(
        PaymentAllocation.objects.filter(
            invoice__regie__collectivity=collectivity, payment__date__year=year
        )
        .exclude(invoice__status=Invoice.Status.CANCELLED)
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .values_list("invoice_id", "total")
    )
    if not paid:
        return {}
    lines = (
        InvoiceLine.objects.filter(
            invoice_id__in=list(paid),
            activity__childcare=True,
            child__isnull=False,
            child__birth_date__gt=born_after(year),
            amount__gt=0,
        )
        .values_list(
            "invoice_id",
            "invoice__total",
            "invoice__regie_id",
            "invoice__family_id",
            "invoice__payer_name",
            "child_id",
            "amount",
        )
        .order_by("invoice_id", "pk")
    )
    found: dict[tuple[int, int], CertificateAmount] = {}
    for invoice_id, total, regie_id, family_id, payer, child_id, amount in lines:
        if not total:
            continue
        share = paid[invoice_id] * amount / total
        entry = found.setdefault((family_id, child_id), CertificateAmount(family_id, child_id))
        entry.exact += share
        entry.regies[regie_id] = entry.regies.get(regie_id, ZERO) + share
        if payer:
            entry.payers.add(payer)
    return {key: entry for key, entry in found.items() if entry.amount > 0}


def certificate_place(collectivity, regies) -> str:
    """« Fait à … »: the town of the first régie's address (its last line, « 45630
    Beaulieu-sur-Loire », without the postal code), else of the collectivity's address, else
    the collectivity's name."""
    for address in [regie.address for regie in regies] + [collectivity.address]:
        lines = [line.strip() for line in (address or "").splitlines() if line.strip()]
        match = re.fullmatch(r"\d{5}\s+(.+)", lines[-1]) if lines else None
        if match:
            return match.group(1)
    return collectivity.name


def _missing(collectivity, year: int) -> list[CertificateAmount]:
    amounts = certificate_amounts(collectivity=collectivity, year=year)
    done = set(
        TaxCertificate.objects.filter(family__collectivity=collectivity, year=year).values_list(
            "family_id", "child_id"
        )
    )
    return [entry for key, entry in amounts.items() if key not in done]


def certificates_missing_count(*, collectivity, year: int) -> int:
    """How many certificates of ``year`` are still to make (a read: three queries)."""
    return len(_missing(collectivity, year))


def tax_certificates_generate(*, collectivity, year: int, by=None) -> int:
    """Make the certificates of ``year`` missing in ``collectivity``; returns how many were
    made. ``year`` must be over (certificates state a whole year's payments)."""
    today = timezone.localdate()
    if not FIRST_YEAR <= year < today.year:
        raise CertificateError(
            _("Les attestations se font pour une année terminée (de %(first)s à %(last)s).")
            % {"first": FIRST_YEAR, "last": today.year - 1}
        )
    todo = _missing(collectivity, year)
    if not todo:
        return 0
    from family.models import Child

    from ..models import Regie

    children = Child.objects.select_related("family").in_bulk([e.child_id for e in todo])
    regies = Regie.objects.filter(collectivity=collectivity).in_bulk()
    made = 0
    for entry in sorted(todo, key=lambda e: (children[e.child_id].family.name, e.child_id)):
        if _certificate_create(
            collectivity=collectivity,
            year=year,
            child=children[entry.child_id],
            entry=entry,
            regies=regies,
            today=today,
            by=by,
        ):
            made += 1
    logger.info("Tax certificates %s %s: %s made", collectivity, year, made)
    return made


def _details(collectivity, entry: CertificateAmount, regies: dict, today) -> dict:
    used = [regies[pk] for pk in sorted(entry.regies)]
    return {
        "regies": [
            {
                "name": regie.name,
                "address": regie.address,
                "amount": str(money_round(entry.regies[regie.pk])),
            }
            for regie in used
        ],
        "payers": sorted(entry.payers),
        "place": certificate_place(collectivity, used),
        "date": today.isoformat(),
    }


def _certificate_create(*, collectivity, year, child, entry, regies, today, by) -> bool:
    from ..pdf import tax_certificates_pdf

    certificate = TaxCertificate(
        family=child.family,
        child=child,
        year=year,
        amount=entry.amount,
        details=_details(collectivity, entry, regies, today),
    )
    pdf = tax_certificates_pdf([certificate], collectivity=collectivity)
    try:
        with transaction.atomic():
            certificate.save()
            certificate.pdf.save(
                f"attestation-{year}-{child.family_id}-{child.pk}.pdf", ContentFile(pdf)
            )
            event_record(
                collectivity=collectivity,
                family_id=child.family_id,
                subject=certificate,
                actor=by,
                verb="tax_certificate_issued",
                message=_(
                    "Attestation de frais de garde %(year)s de %(child)s disponible : "
                    "%(amount)s payés en %(year)s."
                )
                % {"year": year, "child": child.first_name, "amount": euros(entry.amount)},
            )
    except IntegrityError:
        # A concurrent run made it first: it is there, once.
        return False
    return True


def tax_certificates_generate_all(*, year: int) -> int:
    """The January schedule: every collectivity with its billing module on."""
    made = 0
    for collectivity in Collectivity.objects.filter(module_billing=True).order_by("pk"):
        with tenant_scope(collectivity):
            made += tax_certificates_generate(collectivity=collectivity, year=year)
    return made
