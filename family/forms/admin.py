"""Forms of the agents' back office: refusals, bulk decisions, authorisation types, import."""

from django import forms
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
