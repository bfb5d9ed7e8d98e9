"""Forms of the tariffs back office: a tariff, its family-quotient brackets and its rank
reductions (two formsets with a few empty rows, so the page works without JavaScript; a row
left empty is ignored, which is also how a bracket is removed). The forms check types and
required values; the rules that bind the rows together (order, gaps, overlaps, billed tariffs)
are the service's (``billing.services.tariffs``)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Tariff
from ..services.tariffs import BracketInput, ReductionInput
from .admin import DateInput

EXTRA_ROWS = 3
DATE_ERRORS = {"invalid": _("Saisissez une date valide (jj/mm/aaaa).")}


def _money(label, *, required=True, help_text="", required_message=""):
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=10,
        decimal_places=2,
        localize=True,
        help_text=help_text,
        error_messages={
            "required": required_message,
            "invalid": _("Saisissez un montant en euros, par exemple 3,50."),
            "max_decimal_places": _("Deux décimales au plus (les centimes)."),
            "max_digits": _("Ce montant est trop grand."),
            "max_whole_digits": _("Ce montant est trop grand."),
        },
    )


class TariffForm(forms.Form):
    activity = forms.ModelChoiceField(
        label=_("Activité"),
        queryset=None,
        empty_label="—",
        error_messages={
            "required": _("Choisissez l’activité de ce tarif."),
            "invalid_choice": _("Choisissez une activité de votre collectivité."),
        },
    )
    valid_from = forms.DateField(
        label=_("Valable à partir du"),
        widget=DateInput(),
        error_messages={"required": _("Indiquez le premier jour de validité."), **DATE_ERRORS},
    )
    valid_to = forms.DateField(
        label=_("Valable jusqu’au"),
        required=False,
        widget=DateInput(),
        help_text=_("Laissez vide pour un tarif sans date de fin."),
        error_messages=DATE_ERRORS,
    )
    unit = forms.ChoiceField(
        label=_("Unité facturée"),
        choices=[("", "—"), *Tariff.Unit.choices],
        error_messages={"required": _("Choisissez l’unité facturée.")},
    )
    absence_price = _money(
        _("Prix d’une absence facturée (€)"),
        required=False,
        help_text=_("Laissez vide : une absence facturée coûte le prix de la tranche."),
    )
    no_quotient = forms.ChoiceField(
        label=_("Famille sans quotient familial"),
        choices=Tariff.NoQuotient.choices,
        initial=Tariff.NoQuotient.HIGHEST,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities

    def values(self) -> dict:
        return dict(self.cleaned_data)


class BracketForm(forms.Form):
    qf_min = _money(
        _("Quotient familial de (€)"),
        required_message=_("Indiquez le quotient de départ de la tranche (0 pour la première)."),
    )
    qf_max = _money(_("à (€)"), required=False)
    price = _money(_("Prix unitaire (€)"), required_message=_("Indiquez le prix de la tranche."))

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price is not None and price < 0:
            raise forms.ValidationError(_("Le prix ne peut pas être négatif."))
        return price


class ReductionForm(forms.Form):
    rank = forms.IntegerField(
        label=_("À partir du rang"),
        error_messages={
            "required": _("Indiquez le rang de l’enfant (2 pour le 2ᵉ enfant)."),
            "invalid": _("Le rang est un nombre entier, par exemple 2."),
        },
    )
    percent = forms.DecimalField(
        label=_("Pourcentage du tarif (%)"),
        max_digits=5,
        decimal_places=2,
        localize=True,
        error_messages={
            "required": _("Indiquez le pourcentage du prix payé à ce rang."),
            "invalid": _("Saisissez un pourcentage, par exemple 80."),
            "max_decimal_places": _("Deux décimales au plus."),
            "max_digits": _("Le pourcentage est compris entre 0 et 100."),
            "max_whole_digits": _("Le pourcentage est compris entre 0 et 100."),
        },
    )


class _RowsFormSet(forms.BaseFormSet):
    """Every row may be left empty (it is then ignored), the ones filled before included."""

    def get_form_kwargs(self, index):
        return {"empty_permitted": True, "use_required_attribute": False}

    def filled(self) -> list[dict]:
        return [form.cleaned_data for form in self.forms if form.has_changed()]


BracketFormSet = forms.formset_factory(BracketForm, formset=_RowsFormSet, extra=EXTRA_ROWS)
ReductionFormSet = forms.formset_factory(ReductionForm, formset=_RowsFormSet, extra=EXTRA_ROWS)


def brackets_of(formset) -> list[BracketInput]:
    return [BracketInput(row["qf_min"], row["qf_max"], row["price"]) for row in formset.filled()]


def reductions_of(formset) -> list[ReductionInput]:
    return [ReductionInput(row["rank"], Decimal(row["percent"])) for row in formset.filled()]


class TariffReplaceForm(forms.Form):
    """« Nouveau tarif à partir du … » on a tariff already billed."""

    valid_from = forms.DateField(
        label=_("Nouveau tarif à partir du"),
        widget=DateInput(),
        error_messages={"required": _("Indiquez le premier jour du nouveau tarif."), **DATE_ERRORS},
    )
