"""Forms of the supporting-documents module: the parents' filters and upload, the agents'
type form, decisions and paper record."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.validators import TextRulesMixin

from .models import DocumentType, Format, State


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (both sides of a card); the service checks each one."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not items:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class DocumentFilterForm(forms.Form):
    """« Etat », « Document », « Obligatoire uniquement » (GET, without JavaScript)."""

    etat = forms.ChoiceField(label=_("Etat"), required=False)
    document = forms.TypedChoiceField(
        label=_("Document"), required=False, coerce=int, empty_value=None
    )
    obligatoire = forms.BooleanField(label=_("Obligatoire uniquement"), required=False)

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["etat"].choices = [("", _("Tous les états"))] + list(State.choices)
        self.fields["document"].choices = [("", _("Tous les documents"))] + [
            (t.pk, t.name) for t in types
        ]

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {"state": "", "type_id": None, "mandatory_only": False}
        data = self.cleaned_data
        return {
            "state": data.get("etat") or "",
            "type_id": data.get("document"),
            "mandatory_only": bool(data.get("obligatoire")),
        }


class UploadForm(forms.Form):
    fichiers = MultipleFileField(
        label=_("Fichier(s)"),
        required=True,
        error_messages={"required": _("Choisissez au moins un fichier.")},
    )
    remplacer = forms.BooleanField(label=_("Remplacer les fichiers déjà envoyés"), required=False)

    def __init__(self, *args, accept="", max_mb="", **kwargs):
        super().__init__(*args, **kwargs)
        widget = self.fields["fichiers"].widget
        widget.attrs.update({"accept": accept, "multiple": True})
        self.fields["fichiers"].help_text = _(
            "Un ou plusieurs fichiers (par exemple le recto et le verso) ; %(max)s Mo au "
            "maximum chacun. Sur un téléphone, vous pouvez prendre le document en photo."
        ) % {"max": max_mb}


class DocumentTypeForm(TextRulesMixin, forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=150)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    mandatory = forms.BooleanField(label=_("Obligatoire"), required=False)
    holder = forms.ChoiceField(label=_("Demandé pour"), choices=DocumentType.Holder.choices)
    activities = forms.ModelMultipleChoiceField(
        label=_("Seulement pour les enfants inscrits à (aucune : tous les enfants)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    validity = forms.ChoiceField(label=_("Validité"), choices=DocumentType.Validity.choices)
    validity_months = forms.IntegerField(
        label=_("Durée de validité (mois)"), required=False, min_value=1, max_value=120
    )
    validity_end_day = forms.IntegerField(
        label=_("Jour de fin de validité"), required=False, min_value=1, max_value=31
    )
    validity_end_month = forms.IntegerField(
        label=_("Mois de fin de validité"), required=False, min_value=1, max_value=12
    )
    formats = forms.MultipleChoiceField(
        label=_("Formats acceptés"), choices=Format.choices, widget=forms.CheckboxSelectMultiple
    )
    blocks_enrolment = forms.BooleanField(
        label=_("Bloque les nouvelles pré-inscriptions tant qu’il manque (s’il est obligatoire)"),
        required=False,
    )
    fiscal_proof = forms.BooleanField(
        label=_("Justificatif d’une modification des données fiscales"), required=False
    )
    active = forms.BooleanField(label=_("Actif"), required=False)
    order = forms.IntegerField(label=_("Ordre"), min_value=0, initial=0)

    def __init__(self, *args, activities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activities"].queryset = activities


class RefusalForm(TextRulesMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus (la famille le lira)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Indiquez le motif du refus : la famille le lira.")},
    )


class AcceptForm(forms.Form):
    document_date = forms.DateField(
        label=_("Date du document (début de validité)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class BulkAcceptForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        data = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in data if str(v).isdigit()]


class PaperForm(forms.Form):
    document_type = forms.ModelChoiceField(label=_("Document"), queryset=None)
    child = forms.ModelChoiceField(
        label=_("Enfant (pour un document demandé par enfant)"), queryset=None, required=False
    )
    document_date = forms.DateField(
        label=_("Date du document"), widget=forms.DateInput(attrs={"type": "date"})
    )
    fichiers = MultipleFileField(label=_("Copie numérisée (facultatif)"), required=False)

    def __init__(self, *args, types=None, children=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_type"].queryset = types
        self.fields["child"].queryset = children
