"""Filters of the « Espace facturation » (GET, without JavaScript)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.validators import TextRulesMixin

from ..models import Invoice


class InvoiceFilterForm(forms.Form):
    annee = forms.TypedChoiceField(label=_("Année"), required=False, coerce=int, empty_value=None)
    etat = forms.ChoiceField(label=_("État"), required=False)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["annee"].choices = [("", _("Toutes les années"))] + [
            (year, str(year)) for year in years
        ]
        self.fields["etat"].choices = [("", _("Tous les états"))] + list(Invoice.Status.choices)

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        if self.cleaned_data.get("annee"):
            queryset = queryset.filter(issue_date__year=self.cleaned_data["annee"])
        if self.cleaned_data.get("etat"):
            queryset = queryset.filter(status=self.cleaned_data["etat"])
        return queryset


class OnlinePaymentForm(TextRulesMixin, forms.Form):
    """« Payer en ligne »: the e-mail PayFiP sends its receipt to, and the amount the parent
    saw (refused if the balance changed meanwhile). The invoices come as ``facture`` ids."""

    email = forms.EmailField(
        label=_("Adresse e-mail pour le justificatif de paiement"),
        max_length=80,
        min_length=6,
        error_messages={
            "required": _("Indiquez une adresse e-mail : le paiement en ligne l’exige.")
        },
    )
    montant = forms.DecimalField(max_digits=10, decimal_places=2, widget=forms.HiddenInput)
