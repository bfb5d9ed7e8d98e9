"""Forms of the « Dossier famille » (parent side): each validates one section of the dossier;
the view turns the cleaned values into a change request (``family.services.changes``)."""

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.validators import (
    text_rules_apply,
    validate_adult_birth_date,
    validate_child_birth_date,
    validate_postal_code,
)

from ..models import AuthorizedAdult, BankDetails, Child, FiscalData, Guardian, HealthRecord
from ..photos import PhotoError, photo_sanitize
from ..selectors.dossier import (
    GUARDIAN_ADDRESS_FIELDS,
    GUARDIAN_BASIC_FIELDS,
    TARGET_FIELDS,
    Target,
)
from ..validators import normalize_iban, validate_bic, validate_iban

PENDING_HELP = _(
    "Les champs sont pré-remplis avec les valeurs de votre dossier, ou avec celles d’une "
    "demande encore en attente de validation par la collectivité."
)

PHONE_RE = re.compile(r"^(?:\+\d{2,3}|0)\d{9}$")


def _clean_phone(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    compact = re.sub(r"[\s.\-()]", "", value)
    if not PHONE_RE.match(compact):
        raise forms.ValidationError(
            _("Numéro de téléphone invalide : 10 chiffres, par exemple 06 12 34 56 78.")
        )
    return value


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DossierForm(forms.ModelForm):
    """A section of the dossier: built from the model for labels and field validation, never
    saved itself (the values become a change request)."""

    phone_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # Model TextFields have no length: the form gives one (2,000 characters) to each.
        text_rules_apply(self)

    def clean(self):
        cleaned = super().clean()
        for name in self.phone_fields:
            if name in cleaned:
                try:
                    cleaned[name] = _clean_phone(cleaned[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return cleaned

    def _post_clean(self):
        # Field validators only: the instance is not the dossier's row, so no unique checks.
        pass


class GuardianBasicForm(DossierForm):
    phone_fields = ("phone_mobile", "phone_home", "phone_work")

    class Meta:
        model = Guardian
        fields = GUARDIAN_BASIC_FIELDS
        widgets = {"birth_date": DateInput(attrs={"min": "1900-01-01"})}

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        validate_adult_birth_date(value)
        return value


class GuardianAddressForm(DossierForm):
    class Meta:
        model = Guardian
        fields = GUARDIAN_ADDRESS_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("address", "postal_code", "city"):
            self.fields[name].required = True
        self.fields["postal_code"].help_text = _("5 chiffres, par exemple 45000.")

    def clean_postal_code(self):
        value = (self.cleaned_data.get("postal_code") or "").strip()
        validate_postal_code(value)
        return value


class BankDetailsForm(DossierForm):
    # Longer than the stored values: spaces are allowed while typing.
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        help_text=_("Par exemple : FR76 3000 6000 0112 3456 7890 189."),
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=20,
        required=False,
        help_text=_("8 ou 11 caractères, par exemple AGRIFRPP."),
    )

    class Meta:
        model = BankDetails
        fields = TARGET_FIELDS[Target.BANK][1]

    def clean_iban(self):
        value = self.cleaned_data.get("iban", "")
        validate_iban(value)
        return normalize_iban(value)

    def clean_bic(self):
        value = self.cleaned_data.get("bic", "")
        validate_bic(value)
        return "".join(value.split()).upper()


class FiscalDataForm(DossierForm):
    class Meta:
        model = FiscalData
        fields = TARGET_FIELDS[Target.FISCAL][1]

    def clean(self):
        cleaned = super().clean()
        # Same text as the stored value ("1.50", not "1.5"), so an untouched field is no change.
        for name in ("reference_tax_income", "tax_shares", "family_quotient"):
            if isinstance(cleaned.get(name), Decimal):
                cleaned[name] = cleaned[name].quantize(Decimal("0.01"))
        return cleaned


class ChildGeneralForm(DossierForm):
    class Meta:
        model = Child
        fields = TARGET_FIELDS[Target.CHILD][1]
        widgets = {"birth_date": DateInput()}

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        validate_child_birth_date(value)
        return value


class HealthForm(DossierForm):
    phone_fields = ("doctor_phone",)

    class Meta:
        model = HealthRecord
        fields = TARGET_FIELDS[Target.HEALTH][1]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("allergies", "vaccinations", "medical_notes", "pai_details")
        }


class AuthorizedAdultForm(DossierForm):
    phone_fields = ("phone", "phone_alt")

    class Meta:
        model = AuthorizedAdult
        fields = TARGET_FIELDS[Target.AUTHORIZED_ADULT][1]


YES_NO = [("oui", _("Oui")), ("non", _("Non"))]


class AuthorizationsForm(forms.Form):
    """One yes/no question per authorisation the collectivity asks about."""

    def __init__(self, *args, authorization_types, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for authorization_type in authorization_types:
            self.fields[f"auth_{authorization_type.pk}"] = forms.ChoiceField(
                label=authorization_type.label,
                help_text=authorization_type.description,
                choices=YES_NO,
                widget=forms.RadioSelect,
                error_messages={"required": _("Répondez par oui ou par non.")},
            )

    def values(self) -> dict:
        return {name: value == "oui" for name, value in self.cleaned_data.items()}

    @staticmethod
    def initial_from(values: dict) -> dict:
        return {name: "oui" if granted else "non" for name, granted in values.items()}


def photo_max_bytes() -> int:
    return getattr(settings, "PORTAL_PHOTO_MAX_BYTES", 2_000_000)


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo de l’enfant"),
        help_text=_("Format JPEG ou PNG, 2 Mo au maximum."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
        error_messages={"required": _("Choisissez une photo.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        max_mb = photo_max_bytes() / 1_000_000
        self.fields["photo"].help_text = _("Format JPEG ou PNG, %(size)s Mo au maximum.") % {
            "size": f"{max_mb:g}".replace(".", ",")
        }

    def clean_photo(self):
        upload = self.cleaned_data["photo"]
        if upload.size > photo_max_bytes():
            raise forms.ValidationError(
                _("La photo est trop volumineuse : %(size)s Mo au maximum.")
                % {"size": f"{photo_max_bytes() / 1_000_000:g}".replace(".", ",")}
            )
        # The content decides, never the file name or the type the browser declares; what
        # is stored is the image decoded and written again (family/photos.py).
        try:
            clean, self.content_type = photo_sanitize(upload)
        except PhotoError as error:
            raise forms.ValidationError(error.message) from error
        return clean
        return upload
