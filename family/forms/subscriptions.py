from django import forms
from django.utils.translation import gettext_lazy as _

from ..services import subscriber_code_normalize


class SubscriberCodeForm(forms.Form):
    """« Code abonné »: what the parent types; the look-up itself is the service's job (it
    logs and throttles every attempt, whatever its format)."""

    code = forms.CharField(
        label=_("Code abonné"),
        max_length=40,
        help_text=_(
            "12 caractères, par exemple XXXXXXXXXXXX. Les espaces, tirets et minuscules "
            "sont acceptés."
        ),
        error_messages={"required": _("Saisissez votre code abonné.")},
    )

    def clean_code(self):
        code = self.cleaned_data["code"]
        if not subscriber_code_normalize(code):
            raise forms.ValidationError(_("Saisissez votre code abonné."), code="empty")
        return code
