"""Direct debit (prélèvement SEPA): a family's mandate with a régie, the batch file of one
collection date (pain.008.001.08, built and validated by ``sepaxml``), and a returned debit
(« rejet »).

- ``mandate_create`` copies the IBAN/BIC validated in the family's dossier
  (``family.BankDetails``) into a mandate whose RUM the server gives:
  ``M<régie code>-<family id, 7 digits>-<n, 2 digits>`` (``M01-0000123-01``, then ``-02``
  after a revocation and a new mandate). The régie code and the family id make it unique for
  the creditor, the rank keeps each mandate its own reference for ever.
- ``batch_generate`` collects, for one régie and one debit date, every invoice still to pay
  whose family has an active mandate and that no batch holds yet: one payment « prélèvement »
  per invoice at the collection date, the file stored privately, FRST mandates switched to
  RCUR, all in one transaction. An invoice is in one batch at most (database constraint).
- ``debit_reject`` records what the bank returned: the payment stays, a ``PaymentReversal``
  says it no longer counts, the invoice's ``paid`` goes down by the amount and the invoice is
  « À payer » again without a debit date (the family pays it another way); the family is told.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.services import email_queue, event_record
from portal.formats import date_long, euros

from ..models import (
    ZERO,
    DirectDebitBatch,
    DirectDebitItem,
    Invoice,
    Mandate,
    NumberCounter,
    Payment,
    PaymentAllocation,
    PaymentReversal,
)
from .invoices import BillingError, invoice_status
from .numbering import NumberSequence

Status = Invoice.Status
Sequence = Mandate.Sequence

# The R-transaction reasons an agent reads on the bank's return (EPC codes).
REJECT_REASONS = {
    "AM04": gettext_lazy("Provision insuffisante"),
    "AC01": gettext_lazy("Numéro de compte incorrect"),
    "AC04": gettext_lazy("Compte clôturé"),
    "AC06": gettext_lazy("Compte bloqué"),
    "AG01": gettext_lazy("Prélèvement interdit sur ce compte"),
    "MD01": gettext_lazy("Pas de mandat valide"),
    "MD02": gettext_lazy("Données du mandat incorrectes ou incomplètes"),
    "MD06": gettext_lazy("Remboursement demandé par le débiteur"),
    "MD07": gettext_lazy("Débiteur décédé"),
    "MS02": gettext_lazy("Refus du débiteur"),
    "MS03": gettext_lazy("Motif non communiqué par la banque"),
    "SL01": gettext_lazy("Service spécifique de la banque du débiteur"),
}


class DirectDebitError(BillingError):
    """A refused operation on mandates, batches or rejets."""


# --- mandates -------------------------------------------------------------------------------


def _family_mail(family, *, template: str, context: dict) -> None:
    from notifications.registry import family_emails

    to = family_emails(family.pk)
    if to:
        email_queue(
            template=template,
            context=context,
            collectivity=family.collectivity,
            family=family,
            to=to,
            link=reverse("billing:index"),
        )


def mandate_rum(*, regie, family, rank: int) -> str:
    return f"M{regie.code}-{family.pk:07d}-{rank:02d}"


@transaction.atomic
def mandate_create(
    *, regie, family, signature_date: datetime.date, by=None, notify: bool = True
) -> Mandate:
    """A mandate of ``family`` with ``regie`` on the bank details of its dossier, sequence
    FRST. Refused without an ICS on the régie, without bank details, with an active mandate
    already, or with a signature date in the future."""
    from family.models import BankDetails
    from family.validators import normalize_iban, validate_iban

    if family.collectivity_id != regie.collectivity_id:
        raise DirectDebitError(_("Cette régie n’appartient pas à la collectivité de la famille."))
    if not regie.creditor_identifier:
        raise DirectDebitError(
            _(
                "La régie « %(name)s » n’a pas d’identifiant créancier SEPA (ICS) : "
                "indiquez-le dans ses réglages avant de créer un mandat."
            )
            % {"name": regie.name}
        )
    if signature_date > timezone.localdate():
        raise DirectDebitError(_("La date de signature ne peut pas être dans le futur."))
    details = BankDetails.objects.filter(family=family).first()
    if details is None or not details.iban:
        raise DirectDebitError(
            _(
                "La famille n’a pas de coordonnées bancaires validées dans son dossier : "
                "elles sont nécessaires au mandat."
            )
        )
    iban = normalize_iban(details.iban)
    try:
        validate_iban(iban)
    except Exception as error:  # noqa: BLE001 -- a ValidationError with its French message
        raise DirectDebitError(
            _("L’IBAN du dossier de la famille n’est pas valide : corrigez-le d’abord.")
        ) from error
    # Lock the family's mandates with this régie: two agents creating at once get one.
    existing = list(
        Mandate.objects.select_for_update().filter(regie=regie, family=family).order_by("pk")
    )
    if any(mandate.status == Mandate.Status.ACTIVE for mandate in existing):
        raise DirectDebitError(
            _("La famille a déjà un mandat actif avec cette régie : révoquez-le d’abord.")
        )
    try:
        with transaction.atomic():
            mandate = Mandate.objects.create(
                regie=regie,
                family=family,
                rum=mandate_rum(regie=regie, family=family, rank=len(existing) + 1),
                signature_date=signature_date,
                holder_name=details.holder_name,
                iban=iban,
                bic="".join(details.bic.split()).upper(),
                created_by=by,
            )
    except IntegrityError as error:
        raise DirectDebitError(
            _("La famille a déjà un mandat actif avec cette régie : révoquez-le d’abord.")
        ) from error
    message = _(
        "Mandat de prélèvement %(rum)s signé le %(date)s avec %(regie)s : vos factures seront "
        "prélevées sur le compte %(iban)s."
    ) % {
        "rum": mandate.rum,
        "date": date_long(signature_date),
        "regie": regie.name,
        "iban": mandate.iban_masked,
    }
    event_record(
        collectivity=family.collectivity,
        family_id=family.pk,
        subject=mandate,
        actor=by,
        verb="mandate_created",
        message=message,
    )
    if notify:
        _family_mail(
            family,
            template="billing/mandate_created",
            context={"mandate": mandate, "regie": regie, "message": message},
        )
    return mandate


@transaction.atomic
def mandate_revoke(*, mandate: Mandate, by=None) -> Mandate:
    """Revoke an active mandate (stamped who and when). The family's invoices of this régie
    that were waiting for a debit and are in no batch lose their debit date: they are paid
    another way (online, at the counter)."""
    locked = (
        Mandate.objects.select_for_update(of=("self",))
        .select_related("regie", "family__collectivity")
        .get(pk=mandate.pk)
    )
    if locked.status != Mandate.Status.ACTIVE:
        raise DirectDebitError(_("Ce mandat est déjà révoqué."))
    locked.status = Mandate.Status.REVOKED
    locked.revoked_at, locked.revoked_by = timezone.now(), by
    locked.save(update_fields=["status", "revoked_at", "revoked_by"])
    waiting = Invoice.objects.filter(
        regie=locked.regie,
        family=locked.family,
        status__in=[Status.TO_PAY, Status.PARTIAL],
        direct_debit_date__isnull=False,
        debit_items__isnull=True,
    )
    released = waiting.update(direct_debit_date=None)
    message = _(
        "Mandat de prélèvement %(rum)s révoqué le %(date)s : vos prochaines factures de "
        "%(regie)s ne seront plus prélevées."
    ) % {
        "rum": locked.rum,
        "date": date_long(timezone.localdate(locked.revoked_at)),
        "regie": locked.regie.name,
    }
    event_record(
        collectivity=locked.family.collectivity,
        family_id=locked.family_id,
        subject=locked,
        actor=by,
        verb="mandate_revoked",
        message=message,
        data={"invoices_released": released},
    )
    _family_mail(
        locked.family,
        template="billing/mandate_revoked",
        context={"mandate": locked, "regie": locked.regie, "message": message},
    )
    return locked


# --- batches --------------------------------------------------------------------------------


def collectable_invoices(queryset):
    """``queryset``'s invoices a batch would collect: still to pay, with a debit date, in no
    batch yet, their family holding an active mandate with their régie."""
    from django.db.models import Exists, OuterRef

    active = Mandate.objects.filter(
        regie=OuterRef("regie"), family=OuterRef("family"), status=Mandate.Status.ACTIVE
    )
    return queryset.filter(
        status__in=[Status.TO_PAY, Status.PARTIAL],
        direct_debit_date__isnull=False,
        debit_items__isnull=True,
    ).filter(Exists(active))


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def sepa_document(*, regie, collection_date: datetime.date, rows) -> tuple[str, bytes]:
    """The pain.008.001.08 file of ``rows`` ((invoice, mandate, amount, sequence, e2e id)),
    validated against sepaxml's bundled XSD: (message id, XML bytes)."""
    from sepaxml import SepaDD

    config = {
        "name": regie.name,
        "IBAN": regie.creditor_iban,
        "batch": True,
        "creditor_id": regie.creditor_identifier,
        "currency": "EUR",
    }
    if regie.creditor_bic:
        config["BIC"] = regie.creditor_bic
    document = SepaDD(config, schema="pain.008.001.08", clean=True)
    for invoice, mandate, amount, sequence, end_to_end in rows:
        payment = {
            "name": mandate.holder_name,
            "IBAN": mandate.iban,
            "amount": _cents(amount),
            "type": sequence,
            "collection_date": collection_date,
            "mandate_id": mandate.rum,
            "mandate_date": mandate.signature_date,
            "description": (
                f"{regie.name} facture {invoice.number}"
                + (f" {invoice.label}" if invoice.label else "")
            ),
            "endtoend_id": end_to_end,
        }
        if mandate.bic:
            payment["BIC"] = mandate.bic
        document.add_payment(payment)
    return document.msg_id, document.export(validate=True)


@transaction.atomic
def batch_generate(
    *,
    regie,
    debit_date: datetime.date,
    collection_date: datetime.date | None = None,
    by=None,
) -> DirectDebitBatch:
    """The batch of ``regie`` for the invoices due to be debited on ``debit_date``, collected
    on ``collection_date`` (the same day unless the agent chose a later one, when that day has
    passed). Refused without ICS or account, for a collection date that is not in the future,
    or when no invoice is left to collect (generated already: no double collection)."""
    collection_date = collection_date or debit_date
    if not regie.creditor_identifier or not regie.creditor_iban:
        raise DirectDebitError(
            _(
                "La régie « %(name)s » n’a pas son identifiant créancier SEPA (ICS) ou l’IBAN "
                "de son compte : complétez ses réglages avant de générer le fichier."
            )
            % {"name": regie.name}
        )
    if collection_date <= timezone.localdate():
        raise DirectDebitError(
            _(
                "La date de prélèvement (%(date)s) doit être postérieure à aujourd’hui : la "
                "banque reçoit le fichier au moins un jour ouvré avant."
            )
            % {"date": date_long(collection_date)}
        )
    # Lock the invoices (and, through them, each one's place in a batch): a second click
    # waits here, then finds nothing left to collect.
    invoices = list(
        collectable_invoices(
            Invoice.objects.select_for_update(of=("self",)).filter(
                regie=regie, direct_debit_date=debit_date
            )
        )
        .select_related("family")
        .order_by("family__name", "family_id", "pk")
    )
    if not invoices:
        raise DirectDebitError(
            _(
                "Aucune facture à prélever le %(date)s pour cette régie : le fichier a peut-être "
                "déjà été généré."
            )
            % {"date": date_long(debit_date)}
        )
    mandates = {
        mandate.family_id: mandate
        for mandate in Mandate.objects.select_for_update().filter(
            regie=regie,
            family_id__in={invoice.family_id for invoice in invoices},
            status=Mandate.Status.ACTIVE,
        )
    }
    rows = []
    for invoice in invoices:
        mandate = mandates.get(invoice.family_id)
        amount = invoice.total - invoice.paid
        if mandate is None or amount <= 0:
            continue
        rows.append((invoice, mandate, amount, mandate.sequence, invoice.number))
    if not rows:
        raise DirectDebitError(_("Aucune facture à prélever pour cette régie à cette date."))
    message_id, xml = sepa_document(regie=regie, collection_date=collection_date, rows=rows)
    total = sum((row[2] for row in rows), ZERO)
    batch = DirectDebitBatch.objects.create(
        regie=regie,
        collection_date=collection_date,
        message_id=message_id[:35],
        count=len(rows),
        total=total,
        created_by=by,
    )
    with NumberSequence(
        regie=regie, kind=NumberCounter.Kind.PAYMENT, year=collection_date.year
    ) as sequence:
        numbers = [sequence.next() for _row in rows]
    payments = Payment.objects.bulk_create(
        [
            Payment(
                regie=regie,
                family_id=invoice.family_id,
                number=number,
                kind=Payment.Kind.DIRECT_DEBIT,
                date=collection_date,
                amount=amount,
                reference=_("Prélèvement SEPA %(rum)s") % {"rum": mandate.rum},
                recorded_by=by,
            )
            for number, (invoice, mandate, amount, _sequence, _e2e) in zip(
                numbers, rows, strict=True
            )
        ]
    )
    PaymentAllocation.objects.bulk_create(
        [
            PaymentAllocation(payment=payment, invoice=row[0], amount=row[2])
            for payment, row in zip(payments, rows, strict=True)
        ]
    )
    for invoice, _mandate, amount, _sequence, _e2e in rows:
        invoice.paid += amount
        invoice.status = invoice_status(invoice.total, invoice.paid)
        invoice.direct_debit_date = collection_date
    Invoice.objects.bulk_update([row[0] for row in rows], ["paid", "status", "direct_debit_date"])
    try:
        with transaction.atomic():
            DirectDebitItem.objects.bulk_create(
                [
                    DirectDebitItem(
                        batch=batch,
                        invoice=invoice,
                        mandate=mandate,
                        payment=payment,
                        amount=amount,
                        sequence=sequence,
                        end_to_end_id=end_to_end,
                    )
                    for payment, (invoice, mandate, amount, sequence, end_to_end) in zip(
                        payments, rows, strict=True
                    )
                ]
            )
    except IntegrityError as error:
        raise DirectDebitError(
            _("Une de ces factures est déjà dans un fichier de prélèvement : rien n’a été fait.")
        ) from error
    Mandate.objects.filter(
        pk__in=[mandate.pk for _i, mandate, _a, sequence, _e in rows if sequence == Sequence.FIRST]
    ).update(sequence=Sequence.RECURRING)
    batch.file.save(batch.filename, ContentFile(xml), save=True)
    by_family = defaultdict(list)
    for payment, row in zip(payments, rows, strict=True):
        by_family[row[0].family_id].append((payment, row))
    for family_rows in by_family.values():
        family = family_rows[0][1][0].family
        message = _("Prélèvement du %(date)s : %(invoices)s.") % {
            "date": date_long(collection_date),
            "invoices": ", ".join(
                f"{row[0].number} ({euros(row[2])})" for _payment, row in family_rows
            ),
        }
        event_record(
            collectivity=regie.collectivity,
            family_id=family.pk,
            subject=family_rows[0][0],
            actor=by,
            verb="direct_debit_collected",
            message=message,
        )
    return batch


# --- rejets ---------------------------------------------------------------------------------


@transaction.atomic
def debit_reject(
    *, item: DirectDebitItem, date: datetime.date, reason_code: str, by=None
) -> DirectDebitItem:
    """The bank returned this debit: reverse its payment (nothing deleted), put the invoice
    back to pay without a debit date, tell the family. Refused twice, before the collection
    date or in the future, or with an unknown reason code."""
    if reason_code not in REJECT_REASONS:
        raise DirectDebitError(_("Choisissez le motif du rejet dans la liste."))
    locked = (
        DirectDebitItem.objects.select_for_update(of=("self",))
        .select_related("batch__regie", "payment", "mandate")
        .get(pk=item.pk)
    )
    if locked.status != DirectDebitItem.Status.COLLECTED:
        raise DirectDebitError(_("Le rejet de ce prélèvement est déjà enregistré."))
    if date < locked.batch.collection_date:
        raise DirectDebitError(
            _("Le rejet ne peut pas précéder la date du prélèvement (%(date)s).")
            % {"date": date_long(locked.batch.collection_date)}
        )
    if date > timezone.localdate():
        raise DirectDebitError(_("La date du rejet ne peut pas être dans le futur."))
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("family__collectivity", "regie")
        .get(pk=locked.invoice_id)
    )
    label = str(REJECT_REASONS[reason_code])
    try:
        with transaction.atomic():
            reversal = PaymentReversal.objects.create(
                payment=locked.payment,
                date=date,
                reason=f"{reason_code} — {label}",
                recorded_by=by,
            )
    except IntegrityError as error:
        raise DirectDebitError(_("Le rejet de ce prélèvement est déjà enregistré.")) from error
    taken_back = (
        PaymentAllocation.objects.filter(payment=locked.payment, invoice=invoice)
        .values_list("amount", flat=True)
        .first()
    ) or ZERO
    invoice.paid -= taken_back
    invoice.status = invoice_status(invoice.total, invoice.paid)
    invoice.direct_debit_date = None
    invoice.save(update_fields=["paid", "status", "direct_debit_date"])
    locked.status, locked.reject_code, locked.reversal = (
        DirectDebitItem.Status.REJECTED,
        reason_code,
        reversal,
    )
    locked.save(update_fields=["status", "reject_code", "reversal"])
    DirectDebitBatch.objects.filter(pk=locked.batch_id).update(
        status=DirectDebitBatch.Status.WITH_REJECTS
    )
    # A first debit that never went through: the next one is a first one again (EPC rules).
    if (
        locked.sequence == Sequence.FIRST
        and not DirectDebitItem.objects.filter(
            mandate=locked.mandate, status=DirectDebitItem.Status.COLLECTED
        ).exists()
    ):
        Mandate.objects.filter(pk=locked.mandate_id).update(sequence=Sequence.FIRST)
    collection = locked.batch.collection_date
    message = _(
        "Votre prélèvement du %(date)s de %(amount)s pour la facture %(number)s a été rejeté "
        "par votre banque (%(reason)s). La facture est de nouveau à payer : %(balance)s."
    ) % {
        "date": date_long(collection),
        "amount": euros(locked.amount),
        "number": invoice.number,
        "reason": label.lower(),
        "balance": euros(invoice.balance),
    }
    event_record(
        collectivity=invoice.family.collectivity,
        family_id=invoice.family_id,
        subject=invoice,
        actor=by,
        verb="direct_debit_rejected",
        message=message,
        data={"code": reason_code, "payment": locked.payment.number},
    )
    from notifications.registry import family_emails

    to = family_emails(invoice.family_id)
    if to:
        email_queue(
            template="billing/direct_debit_rejected",
            context={"invoice": invoice, "message": message, "collection_date": collection},
            collectivity=invoice.family.collectivity,
            family=invoice.family,
            to=to,
            link=reverse("billing:invoice", args=[invoice.pk]),
        )
    return locked
