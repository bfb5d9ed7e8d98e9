"""Forms of the billing back office: régies, the invoices filter, a manual payment, a credit
note's reason, the CSV import and the payments export. Every message is French and says what
to do; an invalid form changes nothing."""

import datetime
import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from family.validators import normalize_iban, validate_bic, validate_iban
from portal.formats import date_long, euros
from portal.validators import TextRulesMixin

from ..models import Invoice, Payment, Regie

MANUAL_KINDS = [
    (kind, label)
    for kind, label in Payment.Kind.choices
    if kind not in (Payment.Kind.CARD, Payment.Kind.DIRECT_DEBIT)
]
ICS_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$")
NUMCLI_RE = re.compile(r"^[0-9]{6}$")


def _ics_valid(ics: str) -> bool:
    """ISO 7064 mod 97-10 over the national identifier, then the country and its key (the
    creditor business code, characters 5–7, is left out, as the EPC rules say)."""
    digits = "".join(str(int(ch, 36)) for ch in ics[7:] + ics[:2] + "00")
    return 98 - int(digits) % 97 == int(ics[2:4])


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class RegieForm(TextRulesMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=2,
        help_text=_("Deux chiffres, en tête des numéros de facture (F01-2026-000123)."),
        error_messages={"required": _("Indiquez le code de la régie (deux chiffres).")},
    )
    name = forms.CharField(
        label=_("Nom"),
        max_length=150,
        help_text=_("Le nom que les familles lisent comme émetteur des factures."),
        error_messages={"required": _("Indiquez le nom de la régie.")},
    )
    address = forms.CharField(
        label=_("Adresse"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Imprimée sur les factures."),
    )
    online_backend = forms.ChoiceField(label=_("Paiement en ligne"), required=False)
    payfip_numcli = forms.CharField(
        label=_("Numéro client PayFiP (numcli)"),
        required=False,
        max_length=6,
        help_text=_("Six chiffres, donnés par la DGFiP."),
    )
    payfip_saisie = forms.ChoiceField(
        label=_("Mode PayFiP (saisie)"), choices=Regie.Saisie.choices, initial="T"
    )
    creditor_identifier = forms.CharField(
        label=_("Identifiant créancier SEPA (ICS)"),
        required=False,
        max_length=35,
        help_text=_("Pour le prélèvement, par exemple FR12ZZZ123456."),
    )
    creditor_iban = forms.CharField(
        label=_("IBAN du compte crédité par les prélèvements"),
        required=False,
        max_length=42,
        help_text=_("Le compte de la régie (au Trésor public ou à sa banque)."),
    )
    creditor_bic = forms.CharField(
        label=_("BIC du compte crédité"),
        required=False,
        max_length=14,
        help_text=_("8 ou 11 caractères, par exemple BDFEFRPPCCT."),
    )
    is_active = forms.BooleanField(
        label=_("Active (peut émettre des factures et recevoir des règlements)"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, current_backend: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # The simulator pays nothing: offered in development only (or kept if already set).
        self.fields["online_backend"].choices = [
            (value, label)
            for value, label in Regie.Backend.choices
            if value != Regie.Backend.DUMMY or settings.DEBUG or current_backend == value
        ]

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not re.fullmatch(r"[0-9]{2}", code, flags=re.ASCII):
            raise forms.ValidationError(_("Le code est fait de deux chiffres, par exemple 01."))
        return code

    def clean_payfip_numcli(self):
        numcli = self.cleaned_data["payfip_numcli"].strip()
        if numcli and not NUMCLI_RE.match(numcli):
            raise forms.ValidationError(_("Le numéro client PayFiP est fait de six chiffres."))
        return numcli

    def clean_creditor_identifier(self):
        ics = self.cleaned_data["creditor_identifier"].replace(" ", "").upper()
        if ics and not (ICS_RE.match(ics) and _ics_valid(ics)):
            raise forms.ValidationError(
                _("Cet identifiant créancier SEPA n’est pas valide (par exemple FR12ZZZ123456).")
            )
        return ics

    def clean_creditor_iban(self):
        iban = normalize_iban(self.cleaned_data["creditor_iban"])
        if iban:
            validate_iban(iban)
        return iban

    def clean_creditor_bic(self):
        bic = "".join(self.cleaned_data["creditor_bic"].split()).upper()
        validate_bic(bic)
        return bic

    def clean(self):
        cleaned = super().clean()
        backend = cleaned.get("online_backend")
        if backend in (Regie.Backend.PAYFIP, Regie.Backend.TIPI) and not cleaned.get(
            "payfip_numcli"
        ):
            self.add_error(
                "payfip_numcli",
                _("Indiquez le numéro client PayFiP : il est nécessaire au paiement en ligne."),
            )
        return cleaned


class InvoiceAdminFilterForm(forms.Form):
    """The invoices list's filters (GET, without JavaScript)."""

    etat = forms.ChoiceField(label=_("État"), required=False)
    echeance_du = forms.DateField(
        label=_("Échéance à partir du"), required=False, widget=DateInput()
    )
    echeance_au = forms.DateField(label=_("Échéance jusqu’au"), required=False, widget=DateInput())
    famille = forms.CharField(
        label=_("Famille, payeur ou numéro"),
        required=False,
        max_length=100,
        help_text=_("Nom (ou une partie), référence externe ou numéro de facture."),
    )
    en_retard = forms.BooleanField(label=_("En retard seulement"), required=False)

    error_messages = {"invalid_date": _("Saisissez une date valide (jj/mm/aaaa).")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["etat"].choices = [("", _("Tous les états")), *Invoice.Status.choices]
        for name in ("echeance_du", "echeance_au"):
            self.fields[name].error_messages["invalid"] = self.error_messages["invalid_date"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("echeance_du"), cleaned.get("echeance_au")
        if start and end and end < start:
            self.add_error("echeance_au", _("Cette date précède la date de début."))
        cleaned["famille"] = (cleaned.get("famille") or "").strip()
        return cleaned

    @property
    def filtered(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)


class InvoiceCancelForm(TextRulesMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motif de l’annulation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("La famille lira ce motif sur le portail et dans l’e-mail de l’avoir."),
        error_messages={"required": _("Indiquez le motif de l’annulation : la famille le lira.")},
    )


class PaymentForm(TextRulesMixin, forms.Form):
    """A payment received at the counter or by post, for one family: its régie, type, amount,
    date and reference, allocated to the ticked invoices (oldest first when none is ticked)."""

    regie = forms.TypedChoiceField(
        label=_("Régie"),
        coerce=int,
        error_messages={
            "required": _("Choisissez la régie qui reçoit le règlement."),
            "invalid_choice": _("Choisissez une régie active de votre collectivité."),
        },
    )
    kind = forms.ChoiceField(
        label=_("Type de règlement"),
        choices=[("", "—"), *MANUAL_KINDS],
        error_messages={"required": _("Choisissez le type de règlement.")},
    )
    amount = forms.DecimalField(
        label=_("Montant (€)"),
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        localize=True,
        error_messages={
            "required": _("Indiquez le montant reçu."),
            "invalid": _("Saisissez un montant en euros, par exemple 42,50."),
            "min_value": _("Le montant doit être positif."),
            "max_decimal_places": _("Le montant a deux décimales au plus (les centimes)."),
            "max_digits": _("Ce montant est trop grand."),
            "max_whole_digits": _("Ce montant est trop grand."),
        },
    )
    date = forms.DateField(
        label=_("Date du règlement"),
        widget=DateInput(),
        error_messages={
            "required": _("Indiquez la date du règlement."),
            "invalid": _("Saisissez une date valide (jj/mm/aaaa)."),
        },
    )
    reference = forms.CharField(
        label=_("Référence"),
        required=False,
        max_length=100,
        help_text=_("Numéro du chèque, de la remise ou du virement."),
    )
    invoices = forms.TypedMultipleChoiceField(
        label=_("Factures réglées"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _(
                "Une des factures cochées n’est plus à payer pour cette famille : vérifiez la "
                "liste et cochez de nouveau."
            )
        },
        help_text=_(
            "Cochez les factures que ce règlement paie ; sans case cochée, il est affecté aux "
            "factures de la régie les plus anciennes d’abord."
        ),
    )

    def __init__(self, *args, regies, payable, **kwargs):
        super().__init__(*args, **kwargs)
        self.regies = {regie.pk: regie for regie in regies}
        self.payable = {invoice.pk: invoice for invoice in payable}
        self.fields["regie"].choices = [(r.pk, f"{r.code} — {r.name}") for r in regies]
        if len(regies) == 1:
            self.fields["regie"].initial = regies[0].pk
        self.fields["invoices"].choices = [
            (
                invoice.pk,
                _("%(number)s — %(label)s — reste %(balance)s, échéance le %(due)s")
                % {
                    "number": invoice.number,
                    "label": invoice.label or invoice.regie.name,
                    "balance": euros(invoice.balance),
                    "due": date_long(invoice.due_date),
                },
            )
            for invoice in payable
        ]
        self.fields["date"].initial = timezone.localdate()

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("La date du règlement ne peut pas être dans le futur."))
        if day < timezone.localdate() - datetime.timedelta(days=366 * 5):
            raise forms.ValidationError(_("Cette date est trop ancienne."))
        return day

    def clean(self):
        cleaned = super().clean()
        regie = self.regies.get(cleaned.get("regie"))
        cleaned["regie_obj"] = regie
        chosen = [self.payable[pk] for pk in cleaned.get("invoices") or []]
        if regie is not None and any(invoice.regie_id != regie.pk for invoice in chosen):
            self.add_error(
                "invoices",
                _("Les factures cochées doivent être de la régie choisie (%(name)s).")
                % {"name": regie.name},
            )
        chosen.sort(key=lambda invoice: (invoice.due_date, invoice.issue_date, invoice.pk))
        cleaned["invoice_ids"] = [invoice.pk for invoice in chosen] or None
        return cleaned


class InvoiceImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV des factures"),
        help_text=_("Export CSV de votre logiciel, au format décrit ci-dessous (10 Mo au plus)."),
        error_messages={
            "required": _("Choisissez le fichier CSV à importer."),
            "empty": _("Le fichier est vide."),
        },
    )
    notify = forms.BooleanField(
        label=_("Prévenir chaque famille par e-mail de ses factures importées"),
        required=False,
        help_text=_(
            "Laissez décoché pour reprendre des factures que les familles ont déjà reçues."
        ),
    )


class PaymentsExportForm(forms.Form):
    regie = forms.TypedChoiceField(
        label=_("Régie"),
        coerce=int,
        error_messages={
            "required": _("Choisissez la régie."),
            "invalid_choice": _("Choisissez une régie de votre collectivité."),
        },
    )
    du = forms.DateField(
        label=_("Du"),
        widget=DateInput(),
        error_messages={
            "required": _("Indiquez le premier jour de la période."),
            "invalid": _("Saisissez une date valide (jj/mm/aaaa)."),
        },
    )
    au = forms.DateField(
        label=_("Au"),
        widget=DateInput(),
        error_messages={
            "required": _("Indiquez le dernier jour de la période."),
            "invalid": _("Saisissez une date valide (jj/mm/aaaa)."),
        },
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("csv", _("CSV (tableur, séparateur « ; »)")), ("xlsx", _("Excel (XLSX)"))],
        initial="csv",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez le format du fichier.")},
    )

    def __init__(self, *args, regies, **kwargs):
        super().__init__(*args, **kwargs)
        self.regies = {regie.pk: regie for regie in regies}
        self.fields["regie"].choices = [(r.pk, f"{r.code} — {r.name}") for r in regies]
        today = timezone.localdate()
        self.fields["du"].initial = today.replace(day=1)
        self.fields["au"].initial = today

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("du"), cleaned.get("au")
        if start and end:
            if end < start:
                self.add_error("au", _("Cette date précède le premier jour de la période."))
            elif (end - start).days > 366 * 3:
                self.add_error("au", _("La période dure trois ans au plus."))
        cleaned["regie_obj"] = self.regies.get(cleaned.get("regie"))
        return cleaned


class ReminderFilterForm(forms.Form):
    """The overdue invoices' filter (GET): their last reminder level (none yet, 1, 2, …)."""

    niveau = forms.TypedChoiceField(
        label=_("Dernière relance"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, levels: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.levels = list(range(levels + 1))
        self.fields["niveau"].choices = [
            ("", _("Tous les niveaux")),
            ("0", _("Pas encore relancées")),
            *[(str(n), _("Relance n° %(n)s") % {"n": n}) for n in range(1, levels + 1)],
        ]
        self.fields["niveau"].error_messages["invalid_choice"] = _(
            "Choisissez un niveau de relance de la liste."
        )

    @property
    def filtered(self) -> bool:
        return self.is_bound and bool(self.data.get("niveau"))


class CertificateYearForm(forms.Form):
    """The year of the tax certificates listed, printed or generated."""

    annee = forms.TypedChoiceField(label=_("Année"), coerce=int)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["annee"].choices = [(str(year), str(year)) for year in years]
        self.fields["annee"].error_messages["invalid_choice"] = _(
            "Choisissez une année terminée de la liste."
        )


class RunForm(TextRulesMixin, forms.Form):
    """« Nouvelle facturation »: the régie, the period, the activities and the options."""

    regie = forms.TypedChoiceField(
        label=_("Régie"),
        coerce=int,
        error_messages={
            "required": _("Choisissez la régie qui émet les factures."),
            "invalid_choice": _("Choisissez une régie active de votre collectivité."),
        },
    )
    label = forms.CharField(
        label=_("Objet"),
        max_length=200,
        help_text=_("Imprimé sur chaque facture, par exemple « Janvier 2027 »."),
        error_messages={"required": _("Indiquez l’objet de la facturation.")},
    )
    period_start = forms.DateField(
        label=_("Période du"),
        widget=DateInput(),
        error_messages={
            "required": _("Indiquez le premier jour de la période."),
            "invalid": _("Saisissez une date valide (jj/mm/aaaa)."),
        },
    )
    period_end = forms.DateField(
        label=_("Période au"),
        widget=DateInput(),
        error_messages={
            "required": _("Indiquez le dernier jour de la période."),
            "invalid": _("Saisissez une date valide (jj/mm/aaaa)."),
        },
    )
    activities = forms.TypedMultipleChoiceField(
        label=_("Activités facturées"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choisissez au moins une activité à facturer."),
            "invalid_choice": _("Choisissez des activités de votre collectivité."),
        },
    )
    bill_unrecorded = forms.BooleanField(
        label=_("Facturer les jours réservés mais non pointés"),
        required=False,
        initial=True,
        help_text=_(
            "Sinon, ces jours sont signalés en anomalie et laissés pour une prochaine facturation."
        ),
    )
    due_date = forms.DateField(
        label=_("Date d’échéance"),
        widget=DateInput(),
        error_messages={
            "required": _("Indiquez la date d’échéance des factures."),
            "invalid": _("Saisissez une date valide (jj/mm/aaaa)."),
        },
    )
    direct_debit_date = forms.DateField(
        label=_("Date de prélèvement"),
        required=False,
        widget=DateInput(),
        help_text=_("Pour les familles au prélèvement (mandat actif) ; sinon, l’échéance."),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )

    def __init__(self, *args, regies, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.regies = {regie.pk: regie for regie in regies}
        self.activity_rows = {activity.pk: activity for activity in activities}
        self.fields["regie"].choices = [(r.pk, f"{r.code} — {r.name}") for r in regies]
        if len(regies) == 1:
            self.fields["regie"].initial = regies[0].pk
        self.fields["activities"].choices = [(a.pk, a.name) for a in activities]
        today = timezone.localdate()
        last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
        self.fields["period_start"].initial = last_month_end.replace(day=1)
        self.fields["period_end"].initial = last_month_end
        self.fields["due_date"].initial = today + datetime.timedelta(days=30)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("La fin de la période précède son début."))
        cleaned["regie_obj"] = self.regies.get(cleaned.get("regie"))
        cleaned["activity_objs"] = [
            self.activity_rows[pk] for pk in cleaned.get("activities") or []
        ]
        return cleaned
