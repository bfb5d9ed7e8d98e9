"""Forms every back-office queue shares."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .validators import TextRulesMixin


class BulkDecisionForm(TextRulesMixin, forms.Form):
    """« Accepter la sélection » / « Refuser la sélection » of a queue, from
    ``templates/includes/bulk_decision.html``: the ticked rows (checkboxes named
    ``item_field``), the action, and the reason (required to refuse)."""

    ACCEPT, REFUSE = "accept", "refuse"

    action = forms.ChoiceField(
        choices=[(ACCEPT, _("Accepter la sélection")), (REFUSE, _("Refuser la sélection"))],
        error_messages={
            "required": _("Choisissez « Accepter » ou « Refuser la sélection »."),
            "invalid_choice": _("Choisissez « Accepter » ou « Refuser la sélection »."),
        },
    )
    reason = forms.CharField(required=False, max_length=2000, strip=True)

    def __init__(self, data, *, item_field: str, empty_message, **kwargs):
        super().__init__(data, **kwargs)
        self.item_field = item_field
        self.empty_message = empty_message

    def clean(self):
        cleaned = super().clean()
        ids = sorted(
            {int(value) for value in self.data.getlist(self.item_field) if value.isdigit()}
        )
        if not ids:
            raise forms.ValidationError(self.empty_message)
        cleaned["ids"] = ids
        if cleaned.get("action") == self.REFUSE and not cleaned.get("reason"):
            raise forms.ValidationError(_("Indiquez le motif du refus."))
        return cleaned

    @property
    def accept(self) -> bool:
        return self.cleaned_data["action"] == self.ACCEPT

    def first_error(self) -> str:
        """The one message to show (the form is not re-rendered: the queue is a list)."""
        for errors in self.errors.values():
            return str(errors[0])
        return ""


def _admin_login_form_base():
    from wagtail.admin.forms.auth import LoginForm

    return LoginForm


class AdminLoginForm(_admin_login_form_base()):
    """Wagtail's log-in form with French labels: Wagtail names the password and « remember »
    fields after their attribute names, which are never translated (« Password »)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Mot de passe")
        self.fields["password"].widget.attrs["placeholder"] = _("Votre mot de passe")
        self.fields["remember"].label = _("Rester connecté sur cet appareil")
