"""allauth's account flows under French paths (/compte/...), keeping allauth's URL names so
that ``reverse("account_login")`` and allauth's own redirects keep working.

Mirrors ``allauth/account/urls.py`` for the settings in use (e-mail log-in, links rather than
codes), plus « Renvoyer le lien d’activation ».
"""

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.urls import path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from allauth.account import views
from allauth.account.internal.flows.email_verification import (
    send_verification_email_to_address,
)
from allauth.account.models import EmailAddress
from allauth.core import ratelimit

RESEND_ACTION = "resend_activation"
EXPIRY = {"expire_days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS}


class SignupView(views.SignupView):
    """allauth's sign-up, with the request handed to the form (collectivity, address for the
    code look-up) and the account, its pending code and its e-mail in one transaction."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        with transaction.atomic():
            return super().form_valid(form)


class ConfirmEmailView(views.ConfirmEmailView):
    """A used or expired link gives the same clear page on POST as on GET, not a 404."""

    def post(self, *args, **kwargs):
        try:
            return super().post(*args, **kwargs)
        except Http404:
            self.object = None
            return self.render_to_response(self.get_context_data())


class ResendActivationForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Indiquez votre adresse e-mail."),
            "invalid": _("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."),
        },
    )


@never_cache
@csrf_protect
def resend_activation(request):
    """Always the same neutral answer: it never says whether an account exists."""
    form = ResendActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        if not ratelimit.consume(request, action=RESEND_ACTION, key=email):
            form.add_error(
                None,
                _(
                    "Trop de demandes d’envoi. Pour votre sécurité, réessayez dans une heure "
                    "ou contactez votre collectivité."
                ),
            )
        else:
            address = (
                EmailAddress.objects.filter(email__iexact=email, verified=False)
                .select_related("user")
                .first()
            )
            if address is not None:
                with transaction.atomic():
                    send_verification_email_to_address(request, address)
            return render(request, "account/resend_activation_done.html", {"email": email})
    return render(request, "account/resend_activation.html", {"form": form})


urlpatterns = [
    path("connexion/", views.login, name="account_login"),
    path("deconnexion/", views.logout, name="account_logout"),
    path("inactif/", views.account_inactive, name="account_inactive"),
    path("inscription/", SignupView.as_view(), name="account_signup"),
    path("reauthentification/", views.reauthenticate, name="account_reauthenticate"),
    path("adresse-email/", views.email, name="account_email"),
    path(
        "activation/envoyee/",
        views.EmailVerificationSentView.as_view(extra_context=EXPIRY),
        name="account_email_verification_sent",
    ),
    path("activation/renvoyer/", resend_activation, name="account_resend_activation"),
    re_path(
        r"^confirmer/(?P<key>[-:\w]+)/$",
        ConfirmEmailView.as_view(extra_context=EXPIRY),
        name="account_confirm_email",
    ),
    path("mot-de-passe/", views.password_change, name="account_change_password"),
    path("mot-de-passe/definir/", views.password_set, name="account_set_password"),
    path("mot-de-passe-oublie/", views.password_reset, name="account_reset_password"),
    path(
        "mot-de-passe-oublie/envoye/",
        views.password_reset_done,
        name="account_reset_password_done",
    ),
    re_path(
        r"^mot-de-passe-oublie/cle/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        views.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    path(
        "mot-de-passe-oublie/termine/",
        views.password_reset_from_key_done,
        name="account_reset_password_from_key_done",
    ),
    path(
        "connexion/code/confirmer/",
        views.confirm_login_code,
        name="account_confirm_login_code",
    ),
]
