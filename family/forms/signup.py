"""« Créer un compte »: allauth's sign-up form with civility, names, an optional subscriber
code, the terms of use and the CAPTCHA (``ACCOUNT_FORMS["signup"]``)."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core import context

from portal.captcha import CaptchaFormMixin
from portal.validators import TextRulesMixin

from ..services import (
    SubscriptionError,
    signup_code_record,
    subscriber_code_lookup,
    subscriber_code_normalize,
)

User = get_user_model()


class SignupForm(TextRulesMixin, CaptchaFormMixin, AllauthSignupForm):
    civility = forms.ChoiceField(
        label=_("Civilité"),
        choices=User.Civility.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez votre civilité.")},
    )
    last_name = forms.CharField(
        label=_("Nom"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        error_messages={"required": _("Indiquez votre nom.")},
    )
    first_name = forms.CharField(
        label=_("Prénom"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={"required": _("Indiquez votre prénom.")},
    )
    subscriber_code = forms.CharField(
        label=_("Code abonné famille (facultatif)"),
        required=False,
        max_length=40,
        help_text=_(
            "Les 12 caractères du courrier de votre collectivité. Vous pourrez aussi le "
            "saisir plus tard dans « Mes abonnements »."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    accept_terms = forms.BooleanField(
        label=_("J’ai lu et j’accepte les conditions générales d’utilisation"),
        error_messages={
            "required": _("Vous devez accepter les conditions générales d’utilisation.")
        },
    )

    field_order = [
        "civility",
        "last_name",
        "first_name",
        "email",
        "password1",
        "password2",
        "subscriber_code",
        "accept_terms",
    ]

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
        self.family = None
        self.fields["email"].label = _("Adresse e-mail")
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.fields["email"].help_text = _(
            "Elle vous servira à vous connecter ; un lien d’activation y sera envoyé."
        )
        self.fields["password1"].label = _("Mot de passe")
        self.fields["password1"].widget.attrs.pop("placeholder", None)
        self.fields["password1"].help_text = _(
            "Au moins 10 caractères, pas uniquement des chiffres, ni un mot de passe courant, "
            "ni proche de vos nom, prénom ou e-mail."
        )
        self.fields["password2"].label = _("Confirmation du mot de passe")
        self.fields["password2"].widget.attrs.pop("placeholder", None)

    def _request(self):
        return self.request if self.request is not None else context.request

    def clean(self):
        cleaned_data = super().clean()
        # The CAPTCHA comes before the code look-up, so that a bot cannot try codes.
        request = self._request()
        if not self.captcha_clean(address=_client_ip(request)):
            return cleaned_data
        code = subscriber_code_normalize(cleaned_data.get("subscriber_code") or "")
        if code:
            try:
                self.family = subscriber_code_lookup(
                    collectivity=request.collectivity,
                    code=code,
                    user=None,
                    ip_address=_client_ip(request),
                )
            except SubscriptionError as error:
                self.add_error("subscriber_code", error.message)
        return cleaned_data

    def signup(self, request, user):
        """Called by allauth once the user is saved (never for an existing e-mail)."""
        user.civility = self.cleaned_data["civility"]
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.save(update_fields=["civility", "first_name", "last_name"])
        if self.family is not None:
            signup_code_record(user=user, family=self.family)


def _client_ip(request) -> str | None:
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # no usable address: the look-up is logged without one
        return None
