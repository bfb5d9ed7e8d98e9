"""Forms of direct debit in the back office: a new mandate, the batch of one date, a rejet.
Every message is French; an invalid form changes nothing."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..services.direct_debit import REJECT_REASONS
from .admin import DateInput

DATE_ERRORS = {"invalid": _("Saisissez une date valide (jj/mm/aaaa).")}


class MandateForm(forms.Form):
    regie = forms.TypedChoiceField(
        label=_("Régie (créancier)"),
        coerce=int,
        error_messages={
            "required": _("Choisissez la régie qui prélèvera."),
            "invalid_choice": _("Choisissez une régie active de votre collectivité."),
        },
    )
    signature_date = forms.DateField(
        label=_("Date de signature du mandat"),
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": _("Indiquez la date de signature.")},
    )

    def __init__(self, *args, regies, **kwargs):
        super().__init__(*args, **kwargs)
        self.regies = {regie.pk: regie for regie in regies}
        self.fields["regie"].choices = [(r.pk, f"{r.code} — {r.name}") for r in regies]
        if len(regies) == 1:
            self.fields["regie"].initial = regies[0].pk
        self.fields["signature_date"].initial = timezone.localdate()

    def clean_signature_date(self):
        day = self.cleaned_data["signature_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("La date de signature ne peut pas être dans le futur."))
        return day

    def clean(self):
        cleaned = super().clean()
        cleaned["regie_obj"] = self.regies.get(cleaned.get("regie"))
        return cleaned


class BatchForm(forms.Form):
    """« Générer le fichier de prélèvement » for one régie and one debit date (hidden fields
    of the listing's row) on a collection date, by default that same day."""

    regie = forms.IntegerField(widget=forms.HiddenInput)
    debit_date = forms.DateField(widget=forms.HiddenInput, error_messages=DATE_ERRORS)
    collection_date = forms.DateField(
        label=_("Date de prélèvement"),
        required=False,
        widget=DateInput(),
        error_messages=DATE_ERRORS,
        help_text=_("Par défaut, la date annoncée aux familles (ou demain si elle est passée)."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("debit_date") and not cleaned.get("collection_date"):
            cleaned["collection_date"] = cleaned["debit_date"]
        return cleaned


class RejectForm(forms.Form):
    date = forms.DateField(
        label=_("Date du rejet"),
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": _("Indiquez la date du rejet.")},
        help_text=_("La date du relevé de la banque."),
    )
    reason_code = forms.ChoiceField(
        label=_("Motif du rejet"),
        error_messages={
            "required": _("Choisissez le motif du rejet."),
            "invalid_choice": _("Choisissez le motif du rejet dans la liste."),
        },
    )

    def __init__(self, *args, collection_date: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.collection_date = collection_date
        self.fields["reason_code"].choices = [("", "—")] + [
            (code, f"{code} — {label}") for code, label in REJECT_REASONS.items()
        ]
        self.fields["date"].initial = timezone.localdate()

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("La date du rejet ne peut pas être dans le futur."))
        if day < self.collection_date:
            raise forms.ValidationError(_("Le rejet ne peut pas précéder la date du prélèvement."))
        return day
