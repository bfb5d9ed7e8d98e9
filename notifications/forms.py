"""Forms of « Mes demandes » and of the notification preferences."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationPreference
from .registry import STATUSES, request_kinds


class RequestFilterForm(forms.Form):
    """Filters of « Mes demandes » (GET, works without JavaScript)."""

    type = forms.ChoiceField(label=_("Type de demande"), required=False)
    etat = forms.ChoiceField(label=_("État"), required=False)
    enfant = forms.ChoiceField(label=_("Enfant"), required=False)

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("Tous les types"))] + [
            (kind.code, kind.label) for kind in request_kinds()
        ]
        self.fields["etat"].choices = [("", _("Tous les états"))] + list(STATUSES.items())
        self.fields["enfant"].choices = [("", _("Tous les enfants"))] + [
            (name, name) for name in children
        ]

    def apply(self, rows):
        if not self.is_valid():
            return rows
        kind, status, child = (self.cleaned_data.get(k) for k in ("type", "etat", "enfant"))
        return [
            row
            for row in rows
            if (not kind or row.kind == kind)
            and (not status or row.status == status)
            and (not child or child in row.children)
        ]


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["decisions"]
        widgets = {"decisions": forms.RadioSelect}
        labels = {"decisions": _("Recevoir les réponses de la collectivité à mes demandes")}


class RequestMessageForm(forms.Form):
    message = forms.CharField(
        label=_("Message à la famille"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "La famille le lira dans l’historique de la demande et dans son prochain "
            "récapitulatif. La demande n’est pas décidée pour autant."
        ),
        error_messages={"required": _("Écrivez le message à la famille.")},
    )
