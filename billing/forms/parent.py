"""Filters of the « Espace facturation » (GET, without JavaScript)."""

from django import forms
from django.utils.translation import gettext_lazy as _

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
