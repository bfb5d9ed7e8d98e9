"""Forms of the agents' back office: refusals, bulk decisions, authorisation types, import."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.forms import BulkDecisionForm
from portal.validators import TextRulesMixin


class ChangeRefusalForm(TextRulesMixin, forms.Form):
    """The refusal of one dossier change request (the view asks for the reason itself)."""

    reason = forms.CharField(
        label=_("Motif du refus"),
        help_text=_("La famille lira ce motif."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class CreationRefusalForm(TextRulesMixin, forms.Form):
    """The refusal of a family-space creation request."""

    reason = forms.CharField(
        label=_("Motif du refus"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("La famille lira ce motif sur le portail et par e-mail."),
        error_messages={"required": _("Indiquez le motif du refus : la famille le lira.")},
    )


class ChangesBulkDecisionForm(BulkDecisionForm):
    """« Traiter la sélection » of the dossier requests' queue. A refusal without a reason
    says that nothing was refused."""

    def __init__(self, data):
        super().__init__(
            data, item_field="request", empty_message=_("Cochez au moins une demande.")
        )

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            # With requests ticked ("ids" set), the only refusal left is the missing reason.
            if self.cleaned_data.get("ids") and self.cleaned_data.get("action") == self.REFUSE:
                raise forms.ValidationError(
                    _(
                        "Indiquez le motif du refus (la famille le lira) : aucune demande n’a "
                        "été refusée."
                    )
                ) from None
            raise


class AuthorizationTypeForm(TextRulesMixin, forms.Form):
    label = forms.CharField(
        label=_("Libellé"),
        max_length=150,
        error_messages={"required": _("Indiquez le libellé de l’autorisation.")},
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Le texte que les parents lisent sous le libellé."),
    )
    order = forms.IntegerField(
        label=_("Ordre"),
        min_value=0,
        max_value=32767,
        initial=0,
        help_text=_("Les autorisations sont présentées dans cet ordre."),
    )
    active = forms.BooleanField(
        label=_("Active (proposée aux parents)"), required=False, initial=True
    )


class FamilyImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV des familles"),
        help_text=_(
            "Export de votre logiciel actuel, au format CSV (UTF-8, séparateur « ; » ou "
            "« , »), une ligne par famille. Téléchargez le modèle pour voir les colonnes."
        ),
    )


class QuotientForm(forms.Form):
    """A new family quotient from a date (the family's back-office card)."""

    value = forms.DecimalField(
        label=_("Quotient familial (€)"),
        min_value=0,
        max_digits=8,
        decimal_places=2,
        localize=True,
        error_messages={
            "required": _("Indiquez le quotient familial."),
            "invalid": _("Saisissez un quotient familial en euros, par exemple 820,50."),
            "min_value": _("Le quotient familial ne peut pas être négatif."),
            "max_decimal_places": _("Deux décimales au plus (les centimes)."),
            "max_digits": _("Ce quotient familial est trop grand."),
            "max_whole_digits": _("Ce quotient familial est trop grand."),
        },
    )
    valid_from = forms.DateField(
        label=_("À partir du"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "La période en cours finit la veille. Le même jour que la période en cours : "
            "elle est corrigée."
        ),
        error_messages={
            "required": _("Indiquez le premier jour de validité du quotient."),
            "invalid": _("Saisissez une date valide (jj/mm/aaaa)."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].initial = timezone.localdate().replace(day=1)

    def clean_valid_from(self):
        day = self.cleaned_data["valid_from"]
        if day.year < 2000 or day > timezone.localdate() + datetime.timedelta(days=366):
            raise forms.ValidationError(
                _("Choisissez une date entre l’an 2000 et dans un an au plus.")
            )
        return day
