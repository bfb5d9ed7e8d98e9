"""Forms of the family-space creation form (steps 1 and 2), French messages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.validators import (
    TextRulesMixin,
    validate_adult_birth_date,
    validate_child_birth_date,
    validate_postal_code,
)

from ..models import Child, FiscalData
from ..services.creation import BANK_FIELDS, CHILD_FIELDS, FISCAL_FIELDS, GUARDIAN_FIELDS
from ..validators import normalize_iban, validate_bic, validate_iban

ADDRESS_FIELDS = ["address", "address_complement", "postal_code", "city"]
CIVILITY_CHOICES = [("", _("—")), ("mme", _("Madame")), ("m", _("Monsieur"))]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class GuardianForm(TextRulesMixin, forms.Form):
    """Responsable 1 (required) or 2 (optional: left empty, it does not exist)."""

    civility = forms.ChoiceField(label=_("Civilité"), choices=CIVILITY_CHOICES, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=100, required=False)
    first_name = forms.CharField(label=_("Prénom"), max_length=100, required=False)
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        required=False,
        widget=DateInput(attrs={"min": "1900-01-01"}),
        validators=[validate_adult_birth_date],
        help_text=_("Format : jj/mm/aaaa."),
    )
    address = forms.CharField(label=_("Adresse"), max_length=200, required=False)
    address_complement = forms.CharField(
        label=_("Complément d’adresse"), max_length=200, required=False
    )
    postal_code = forms.CharField(
        label=_("Code postal"), max_length=10, required=False, validators=[validate_postal_code]
    )
    city = forms.CharField(label=_("Commune"), max_length=100, required=False)
    phone_mobile = forms.CharField(label=_("Téléphone portable"), max_length=30, required=False)
    phone_home = forms.CharField(label=_("Téléphone fixe"), max_length=30, required=False)
    phone_work = forms.CharField(label=_("Téléphone professionnel"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    occupation = forms.CharField(
        label=_("Profession"), max_length=100, required=False, help_text=_("Facultatif.")
    )
    employer = forms.CharField(
        label=_("Employeur"), max_length=150, required=False, help_text=_("Facultatif.")
    )

    def __init__(self, *args, optional: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.optional = optional
        autocomplete = {
            "last_name": "family-name",
            "first_name": "given-name",
            "birth_date": "bday",
            "address": "address-line1",
            "address_complement": "address-line2",
            "postal_code": "postal-code",
            "city": "address-level2",
            "phone_mobile": "tel",
            "email": "email",
        }
        # Autocomplete describes the person filling the form: responsable 1 only.
        for name, token in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = token if not optional else "off"
        if not optional:
            for name in ("last_name", "first_name"):
                self.fields[name].required = True
                self.fields[name].widget.attrs["required"] = True

    def is_empty(self) -> bool:
        """An optional guardian with nothing typed (the civility alone does not count)."""
        if not self.optional:
            return False
        return not any(
            (self.data.get(self.add_prefix(name)) or "").strip()
            for name in GUARDIAN_FIELDS
            if name != "civility"
        )

    def clean(self):
        cleaned = super().clean()
        if self.optional and not self.is_empty():
            for name, message in (
                ("last_name", _("Indiquez le nom du responsable 2 (ou laissez ses champs vides).")),
                (
                    "first_name",
                    _("Indiquez le prénom du responsable 2 (ou laissez ses champs vides)."),
                ),
            ):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, message)
        return cleaned

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.is_empty():
            self._errors.clear()


GuardianForm.base_fields["last_name"].error_messages["required"] = _(
    "Indiquez le nom du responsable 1."
)
GuardianForm.base_fields["first_name"].error_messages["required"] = _(
    "Indiquez le prénom du responsable 1."
)


class ChildForm(TextRulesMixin, forms.Form):
    last_name = forms.CharField(
        label=_("Nom"),
        max_length=100,
        error_messages={"required": _("Indiquez le nom de l’enfant.")},
    )
    first_name = forms.CharField(
        label=_("Prénom"),
        max_length=100,
        error_messages={"required": _("Indiquez le prénom de l’enfant.")},
    )
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        widget=DateInput(),
        validators=[validate_child_birth_date],
        help_text=_("Format : jj/mm/aaaa."),
        error_messages={"required": _("Indiquez la date de naissance de l’enfant.")},
    )
    sex = forms.ChoiceField(
        label=_("Sexe"), choices=[("", _("—")), *Child.Sex.choices], required=False
    )
    school = forms.CharField(label=_("École"), max_length=150, required=False)
    school_class = forms.CharField(label=_("Classe"), max_length=50, required=False)


# extra=0: « Par défaut, il n'y a pas d'enfant » — « Ajouter un enfant » adds one.
ChildFormSet = forms.formset_factory(ChildForm, extra=0, max_num=30, validate_max=True)


class FinanceForm(TextRulesMixin, forms.Form):
    """Step 2: the paying guardian, bank details (optional) and fiscal data."""

    payer = forms.TypedChoiceField(
        label=_("Responsable payeur"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez le responsable payeur.")},
    )
    holder_name = forms.CharField(
        label=_("Titulaire du compte (nom et prénom)"), max_length=150, required=False
    )
    holder_address = forms.CharField(
        label=_("Adresse du titulaire"), max_length=300, required=False
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=42,
        required=False,
        help_text=_(
            "Exemple : FR76 3000 6000 0112 3456 7890 189. Laissez vide si vous ne "
            "souhaitez pas payer par prélèvement."
        ),
    )
    bic = forms.CharField(
        label=_("BIC"), max_length=14, required=False, help_text=_("Exemple : AGRIFRPP.")
    )
    reference_tax_income = forms.DecimalField(
        label=_("Revenu fiscal de référence (€)"),
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
    )
    tax_shares = forms.DecimalField(
        label=_("Nombre de parts"), max_digits=4, decimal_places=2, min_value=0, required=False
    )
    allowance_body = forms.ChoiceField(
        label=_("Organisme (CAF ou MSA)"),
        choices=FiscalData.AllowanceBody.choices,
        required=False,
    )
    allowance_number = forms.CharField(
        label=_("Numéro d’allocataire"), max_length=20, required=False
    )
    family_quotient = forms.DecimalField(
        label=_("Quotient familial (€)"),
        max_digits=8,
        decimal_places=2,
        min_value=0,
        required=False,
    )

    def __init__(self, *args, guardians: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].choices = [
            (rank, f"{g.get('first_name', '')} {g.get('last_name', '')}".strip())
            for rank, g in enumerate(guardians, start=1)
        ]
        self.fields["holder_name"].widget.attrs["autocomplete"] = "name"
        self.fields["iban"].widget.attrs.update(autocomplete="off", spellcheck="false")

    def clean_iban(self):
        iban = normalize_iban(self.cleaned_data["iban"])
        if iban:
            validate_iban(iban)
        return iban

    def clean_bic(self):
        bic = "".join(self.cleaned_data["bic"].split()).upper()
        validate_bic(bic)
        return bic

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("iban") and not (cleaned.get("holder_name") or "").strip():
            self.add_error("holder_name", _("Indiquez le titulaire du compte."))
        return cleaned

    def step_data(self) -> dict:
        cleaned = self.cleaned_data
        return {
            "payer": cleaned["payer"],
            "bank": {name: cleaned.get(name) or "" for name in BANK_FIELDS},
            "fiscal": {name: cleaned.get(name) for name in FISCAL_FIELDS},
        }


def guardian_step_data(form: GuardianForm) -> dict:
    return {name: form.cleaned_data.get(name) for name in GUARDIAN_FIELDS}


def child_step_data(form: ChildForm) -> dict:
    return {name: form.cleaned_data.get(name) for name in CHILD_FIELDS}
