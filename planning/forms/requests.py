"""Forms of the parents' reservation/absence requests and of the agents' request queue.

Forms only parse and check what the parent typed (French messages on the fields); the rules of
the planning (enrolment, notice, places…) are the services' (``planning.services``).
"""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.validators import TextRulesMixin

from ..models import WEEKDAY_CHOICES, BookingRequest
from ..rules import horizon_end, local_now


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ChildChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.first_name} {obj.last_name}".strip()


def _period_date(label, required_message) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DateInput(),
        error_messages={
            "required": required_message,
            "invalid": gettext_lazy("Indiquez une date valide (jj/mm/aaaa)."),
        },
    )


class PeriodRequestForm(TextRulesMixin, forms.Form):
    """« Faire une demande sur une longue période »: children, activity, du/au, weekdays."""

    children = ChildChoiceField(
        label=gettext_lazy("Enfant(s) concerné(s)"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Cochez au moins un enfant.")},
    )
    activity = forms.ModelChoiceField(
        label=gettext_lazy("Activité"),
        queryset=None,
        empty_label=gettext_lazy("Choisissez une activité"),
        error_messages={
            "required": gettext_lazy("Choisissez une activité."),
            "invalid_choice": gettext_lazy("Choisissez une activité de la liste."),
        },
    )
    date_from = _period_date(gettext_lazy("Du"), gettext_lazy("Indiquez la date de début."))
    date_to = _period_date(gettext_lazy("Au"), gettext_lazy("Indiquez la date de fin."))
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Jours concernés"),
        error_messages={"required": gettext_lazy("Cochez au moins un jour de la semaine.")},
        widget=forms.CheckboxSelectMultiple,
        choices=WEEKDAY_CHOICES,
        coerce=int,
    )
    comment = forms.CharField(
        label=gettext_lazy("Commentaire (facultatif)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, children, activities, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.fields["children"].queryset = children
        self.fields["activity"].queryset = activities

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error(
                "date_to", _("La date de fin doit être postérieure ou égale à la date de début.")
            )
            return cleaned
        today = local_now(self.now or timezone.now()).date()
        if date_to and date_to < today:
            self.add_error("date_to", _("La période est passée : choisissez des dates à venir."))
            return cleaned
        if date_from and date_from < today:
            # A start in the past would make the preview walk every day since then (a start in
            # year 1 cost the server 37 s and 43 MB of HTML).
            self.add_error(
                "date_from",
                _("La période commence avant aujourd’hui : choisissez une date de début à venir."),
            )
            return cleaned
        activity = cleaned.get("activity")
        if activity and date_to:
            limit = horizon_end(activity, today)
            if date_to > limit:
                self.add_error(
                    "date_to",
                    _("La période dépasse la date limite de réservation (%(date)s).")
                    % {"date": limit.strftime("%d/%m/%Y")},
                )
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "activity": data["activity"],
            "children": list(data["children"]),
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "weekdays": sorted(set(data["weekdays"])),
        }

    def hidden_values(self) -> list[tuple[str, str]]:
        """The cleaned values as (name, value) pairs, for the « Envoyer la demande » form."""
        data = self.cleaned_data
        pairs = [("children", str(child.pk)) for child in data["children"]]
        pairs += [
            ("activity", str(data["activity"].pk)),
            ("date_from", data["date_from"].isoformat()),
            ("date_to", data["date_to"].isoformat()),
        ]
        pairs += [("weekdays", str(day)) for day in sorted(set(data["weekdays"]))]
        pairs.append(("comment", data.get("comment", "")))
        return pairs


class RequestListFilterForm(forms.Form):
    """Filters of the « Liste » (GET): child and status."""

    enfant = forms.TypedChoiceField(
        label=gettext_lazy("Enfant"), required=False, coerce=int, empty_value=None
    )
    statut = forms.ChoiceField(label=gettext_lazy("Statut"), required=False)

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enfant"].choices = [("", _("Tous les enfants"))] + [
            (child.pk, f"{child.first_name} {child.last_name}".strip()) for child in children
        ]
        self.fields["statut"].choices = [("", _("Tous les statuts"))] + list(
            BookingRequest.Status.choices
        )


class AdminRequestFilterForm(forms.Form):
    """Filters of the agents' queue (GET): activity, a date inside the request, child, kind."""

    activite = forms.TypedChoiceField(
        label=gettext_lazy("Activité"), required=False, coerce=int, empty_value=None
    )
    date = forms.DateField(
        label=gettext_lazy("Date concernée"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": gettext_lazy("Indiquez une date valide (jj/mm/aaaa).")},
    )
    enfant = forms.CharField(label=gettext_lazy("Enfant (nom ou prénom)"), required=False)
    type = forms.ChoiceField(label=gettext_lazy("Type"), required=False)

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activite"].choices = [("", _("Toutes les activités"))] + [
            (activity.pk, activity.name) for activity in activities
        ]
        self.fields["type"].choices = [("", _("Tous les types"))] + list(
            BookingRequest.Kind.choices
        )


class RefusalForm(TextRulesMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif du refus"),
        help_text=gettext_lazy("La famille lira ce motif."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def default_period(today: datetime.date) -> dict:
    """Initial du/au of the period form: from tomorrow, for a week."""
    return {
        "date_from": today + datetime.timedelta(days=1),
        "date_to": today + datetime.timedelta(days=7),
    }
