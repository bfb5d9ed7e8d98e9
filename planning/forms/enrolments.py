"""Forms of the pre-enrolment pages (parent) and of the agents' direct enrolment."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.validators import TextRulesMixin

from ..models import WEEKDAY_CHOICES
from ..services.enrolments import age_range_label


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ChildChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.first_name} {obj.last_name}"


class ActivityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        parts = [obj.name]
        details = [text for text in (obj.place, age_range_label(obj)) if text]
        if details:
            parts.append(f"({', '.join(str(d) for d in details)})")
        return " ".join(parts)


class EnrolmentBaseForm(TextRulesMixin, forms.Form):
    """Child, activity, period and typical week; the service checks the rules."""

    start_date = forms.DateField(
        label=_("Du"),
        required=False,
        widget=DateInput(),
        help_text=_("Laissez vide pour le premier jour de l’activité."),
    )
    end_date = forms.DateField(
        label=_("Au"),
        required=False,
        widget=DateInput(),
        help_text=_("Laissez vide pour le dernier jour de l’activité."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Semaine type (facultatif)"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Les jours cochés seront réservés automatiquement sur toute la période, une fois "
            "l’inscription acceptée."
        ),
    )

    def __init__(self, *args, children, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {
            "child": ChildChoiceField(
                label=_("Enfant"),
                queryset=children,
                empty_label=_("Choisissez un enfant"),
                error_messages={"invalid_choice": _("Choisissez un de vos enfants.")},
            ),
            "activity": ActivityChoiceField(
                label=_("Activité"),
                queryset=activities,
                empty_label=_("Choisissez une activité"),
                error_messages={"invalid_choice": _("Choisissez une activité de la liste.")},
            ),
            **self.fields,
        }

    def period(self):
        """(start, end), the activity's own dates where left empty."""
        activity = self.cleaned_data["activity"]
        return (
            self.cleaned_data.get("start_date") or activity.start_date,
            self.cleaned_data.get("end_date") or activity.end_date,
        )

    def service_kwargs(self) -> dict:
        """Child, activity, period and typical week, as the enrolment services take them."""
        start, end = self.period()
        return {
            "child": self.cleaned_data["child"],
            "activity": self.cleaned_data["activity"],
            "start_date": start,
            "end_date": end,
            "weekdays": self.cleaned_data["weekdays"],
        }


class EnrolmentRequestForm(EnrolmentBaseForm):
    comment = forms.CharField(
        label=_("Commentaire (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)


class RefusalForm(TextRulesMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"),
        help_text=_("La famille lira ce motif."),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": _("Indiquez le motif du refus : la famille le lira.")},
    )
