"""Back-office forms of activities: the activity itself, its closures, and the filters of the
occupancy and attendance pages. Every message is French, for the agent."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.validators import TextRulesMixin

from ..models import WEEKDAY_CHOICES, Activity, ActivityClosure

Kind = Activity.Kind
Opening = Activity.Opening

# What a new activity of each kind usually looks like (pre-filled, the agent may change it).
KIND_DEFAULTS = {
    Kind.CANTEEN: {"weekdays": [0, 1, 3, 4], "times": ("11:30", "13:30")},
    Kind.MORNING_CARE: {"weekdays": [0, 1, 3, 4], "times": ("07:30", "08:30")},
    Kind.EVENING_CARE: {"weekdays": [0, 1, 3, 4], "times": ("16:30", "18:30")},
    Kind.WEDNESDAY: {"weekdays": [2], "times": ("08:30", "17:30")},
    Kind.HOLIDAY_CENTRE: {"weekdays": [0, 1, 2, 3, 4], "times": ("08:30", "17:30")},
    Kind.STAY: {"weekdays": [0, 1, 2, 3, 4, 5, 6], "times": ("09:00", "17:00")},
}


def default_opening(kind: str) -> str:
    """Holiday centres and stays open in the school holidays; the rest in term time."""
    if kind in (Kind.HOLIDAY_CENTRE, Kind.STAY):
        return Opening.SCHOOL_HOLIDAYS
    return Opening.TERM_TIME


def school_year(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """1 September to the first Saturday of July of the current school year."""
    first_year = today.year if today.month >= 8 else today.year - 1
    start = datetime.date(first_year, 9, 1)
    end = datetime.date(first_year + 1, 7, 1)
    end += datetime.timedelta(days=(5 - end.weekday()) % 7)
    return start, end


def activity_initial(kind: str | None, *, today: datetime.date | None = None) -> dict:
    """Initial values of a new activity of ``kind`` (an unknown kind gives the canteen's)."""
    kind = kind if kind in Kind.values else Kind.CANTEEN
    defaults = KIND_DEFAULTS[Kind(kind)]
    start, end = school_year(today or timezone.localdate())
    return {
        "kind": kind,
        "name": Kind(kind).label,
        "opening": default_opening(kind),
        "weekdays": defaults["weekdays"],
        "start_time": defaults["times"][0],
        "end_time": defaults["times"][1],
        "start_date": start,
        "end_date": end,
        "capacity": 30,
    }


REQUIRED = _("Ce champ est obligatoire.")
DATE_ERRORS = {"required": REQUIRED, "invalid": _("Saisissez une date valide (jj/mm/aaaa).")}
TIME_ERRORS = {"required": REQUIRED, "invalid": _("Saisissez une heure valide (hh:mm).")}
NUMBER_ERRORS = {
    "required": REQUIRED,
    "invalid": _("Saisissez un nombre entier."),
    "min_value": _("Saisissez un nombre supérieur ou égal à %(limit_value)s."),
    "max_value": _("Saisissez un nombre inférieur ou égal à %(limit_value)s."),
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


# The activity form's fieldsets, in the order the page shows them.
FIELD_GROUPS = [
    (_("L’activité"), ["name", "kind", "place", "description", "color", "is_active"]),
    (_("Âge des enfants"), ["age_min", "age_max"]),
    (
        _("Calendrier"),
        ["start_date", "end_date", "weekdays", "opening", "start_time", "end_time", "capacity"],
    ),
    (
        _("Délais de prévenance"),
        [
            "booking_notice_days",
            "cancellation_notice_days",
            "notice_in_working_days",
            "notice_deadline_time",
            "booking_horizon_days",
        ],
    ),
    (
        _("Règles"),
        [
            "requires_approval",
            "late_absence_billed",
            "unit_price",
            "waiting_list_mode",
            "offer_hours",
        ],
    ),
    (_("Facturation"), ["accounting_code", "childcare"]),
]


class ActivityForm(TextRulesMixin, forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours d’ouverture"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Les jours de la semaine où l’activité a lieu."),
        error_messages={
            "required": _("Cochez au moins un jour d’ouverture."),
            "invalid_choice": _("Jour d’ouverture inconnu."),
        },
    )

    class Meta:
        model = Activity
        fields = [name for _legend, names in FIELD_GROUPS for name in names]
        localized_fields = ["unit_price"]
        widgets = {
            "unit_price": forms.TextInput(attrs={"inputmode": "decimal"}),
            "start_date": DateInput(),
            "end_date": DateInput(),
            "start_time": TimeInput(),
            "end_time": TimeInput(),
            "notice_deadline_time": TimeInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "color": forms.TextInput(attrs={"type": "color"}),
        }
        help_texts = {
            "name": _("Le nom que les familles lisent dans leur planning."),
            "kind": _("Détermine l’ouverture proposée par défaut."),
            "place": _("École, centre de loisirs… (facultatif)."),
            "color": _("Couleur de l’activité dans le planning des familles."),
            "age_min": _("Laisser vide si l’activité n’a pas d’âge minimum."),
            "age_max": _("Laisser vide si l’activité n’a pas d’âge maximum."),
            "is_active": _("Décochez pour ne plus la proposer aux familles."),
            "start_date": _("Premier jour de l’activité sur l’année scolaire."),
            "end_date": _("Dernier jour de l’activité sur l’année scolaire."),
            "opening": _(
                "Les jours fériés sont toujours fermés ; les vacances scolaires sont celles de "
                "la zone de la collectivité."
            ),
            "start_time": _("Heure locale (Europe/Paris)."),
            "end_time": _("Heure locale (Europe/Paris)."),
            "capacity": _("Nombre de places par créneau."),
            "booking_notice_days": _("Réservation possible jusqu’à J-N, à l’heure limite."),
            "cancellation_notice_days": _(
                "Une absence déclarée après J-N, à l’heure limite, est facturée si l’absence "
                "tardive est facturée."
            ),
            "notice_deadline_time": _("Heure limite des délais ci-dessus (heure locale)."),
            "booking_horizon_days": _("Nombre de jours à l’avance où les familles réservent."),
            "unit_price": _("En euros, par séance (par exemple 3,50)."),
            "offer_hours": _("Pour le mode « place proposée » de la liste d’attente."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekdays"].required = True
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED
            if isinstance(field, forms.DateField):
                field.error_messages.update(DATE_ERRORS)
            elif isinstance(field, forms.TimeField):
                field.error_messages.update(TIME_ERRORS)
            elif isinstance(field, forms.DecimalField):
                field.error_messages.update(NUMBER_ERRORS)
                field.error_messages["invalid"] = _("Saisissez un montant (par exemple 3,50).")
            elif isinstance(field, forms.IntegerField):
                field.error_messages.update(NUMBER_ERRORS)
            elif isinstance(field, forms.TypedChoiceField):
                field.error_messages["invalid_choice"] = _("Choisissez une valeur de la liste.")
        self.fields["weekdays"].error_messages["required"] = _(
            "Cochez au moins un jour d’ouverture."
        )

    def clean_weekdays(self):
        return sorted(set(self.cleaned_data["weekdays"]))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end:
            if end < start:
                self.add_error(
                    "end_date", _("Le dernier jour doit être postérieur ou égal au premier jour.")
                )
            elif (end - start).days > 731:
                self.add_error("end_date", _("La période d’une activité ne dépasse pas deux ans."))
        start_time, end_time = cleaned.get("start_time"), cleaned.get("end_time")
        if start_time and end_time and end_time <= start_time:
            self.add_error("end_time", _("L’heure de fin doit être après l’heure de début."))
        age_min, age_max = cleaned.get("age_min"), cleaned.get("age_max")
        if age_min is not None and age_max is not None and age_max < age_min:
            self.add_error(
                "age_max", _("L’âge maximum doit être supérieur ou égal à l’âge minimum.")
            )
        return cleaned


class ClosureForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = ActivityClosure
        fields = ["date", "reason"]
        widgets = {"date": DateInput()}
        labels = {"date": _("Date"), "reason": _("Motif")}
        help_texts = {"reason": _("Affiché aux familles, par exemple « Journée pédagogique ».")}

    def __init__(self, *args, activity: Activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity = activity
        self.fields["date"].error_messages.update(DATE_ERRORS)

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day < self.activity.start_date or day > self.activity.end_date:
            raise forms.ValidationError(
                _(
                    "Choisissez une date comprise dans la période de l’activité (du %(start)s au %(end)s)."
                )
                % {
                    "start": self.activity.start_date.strftime("%d/%m/%Y"),
                    "end": self.activity.end_date.strftime("%d/%m/%Y"),
                }
            )
        if self.activity.closures.filter(date=day).exists():
            raise forms.ValidationError(_("Cette date est déjà un jour sans activité."))
        return day

    def save(self, commit=True):
        self.instance.activity = self.activity
        return super().save(commit=commit)


MAX_OCCUPANCY_DAYS = 62


class PeriodFilterForm(forms.Form):
    """Occupancy filter: an activity (or all) and a date range, this week by default."""

    activite = forms.TypedChoiceField(
        label=_("Activité"), required=False, coerce=int, empty_value=None
    )
    du = forms.DateField(label=_("Du"), required=False, widget=DateInput())
    au = forms.DateField(label=_("Au"), required=False, widget=DateInput())

    def __init__(self, *args, activities, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activite"].choices = [("", _("Toutes les activités"))] + [
            (activity.pk, activity.name) for activity in activities
        ]
        self.fields["activite"].error_messages["invalid_choice"] = _("Activité inconnue.")
        for name in ("du", "au"):
            self.fields[name].error_messages.update(DATE_ERRORS)
        monday = today - datetime.timedelta(days=today.weekday())
        self.default_start, self.default_end = monday, monday + datetime.timedelta(days=6)

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("du") or self.default_start
        end = cleaned.get("au") or max(start, self.default_end)
        if "du" in self.errors or "au" in self.errors:
            return cleaned
        if end < start:
            self.add_error(
                "au", _("La date de fin doit être postérieure ou égale à la date de début.")
            )
        elif (end - start).days >= MAX_OCCUPANCY_DAYS:
            self.add_error(
                "au",
                _("Choisissez une période de %(days)s jours au plus.")
                % {"days": MAX_OCCUPANCY_DAYS},
            )
        cleaned["du"], cleaned["au"] = start, end
        return cleaned


class DayForm(forms.Form):
    jour = forms.DateField(label=_("Jour"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jour"].error_messages.update(DATE_ERRORS)
