"""The shared validators (``portal.validators``, issue #11, item 7) and the free-text forms
that use them: refusal reasons, comments, back-office texts."""

import datetime

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

import pytest

from family.forms.admin import AuthorizationTypeForm, ChangeRefusalForm, CreationRefusalForm
from family.models import Child
from planning.forms.enrolments import RefusalForm as EnrolmentRefusalForm
from planning.forms.requests import PeriodRequestForm
from planning.forms.requests import RefusalForm as BookingRefusalForm
from planning.models import Activity
from portal.forms import BulkDecisionForm
from portal.validators import (
    child_earliest_birth_date,
    validate_adult_birth_date,
    validate_child_birth_date,
    validate_multi_line_text,
    validate_one_line_text,
    validate_postal_code,
)


@pytest.mark.parametrize("value", ["45000", "01000", " 75001 "])
def test_french_postal_codes_pass(value):
    validate_postal_code(value)


@pytest.mark.parametrize("value", ["７５００１", "٤٥٦٣٠", "۴۵۶۳۰", "4500", "450000", "45 00"])
def test_postal_codes_in_other_digits_or_lengths_refused(value):
    with pytest.raises(ValidationError, match="5 chiffres de 0 à 9"):
        validate_postal_code(value)


@pytest.mark.parametrize(
    "value", [datetime.date(1, 1, 1), datetime.date(1800, 6, 15), datetime.date(1899, 12, 31)]
)
def test_adult_birth_dates_before_1900_refused(value):
    with pytest.raises(ValidationError, match="1er janvier 1900"):
        validate_adult_birth_date(value)


def test_birth_dates_in_the_future_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for validate in (validate_adult_birth_date, validate_child_birth_date):
        with pytest.raises(ValidationError, match="futur"):
            validate(tomorrow)


def test_child_birth_dates_within_30_years():
    today = timezone.localdate()
    validate_child_birth_date(today)
    validate_child_birth_date(child_earliest_birth_date(today))
    validate_adult_birth_date(datetime.date(1900, 1, 1))
    with pytest.raises(ValidationError, match="moins de 30 ans"):
        validate_child_birth_date(child_earliest_birth_date(today) - datetime.timedelta(days=1))


def test_child_earliest_birth_date_on_29_february():
    assert child_earliest_birth_date(datetime.date(2028, 2, 29)) == datetime.date(1998, 2, 28)


@pytest.mark.parametrize(
    "value",
    ["Dupont", "Ngô Thị Hương", "Müller-Lüdenscheidt", "O’Brien", "محمد", "Łukasz", "张伟"],
)
def test_real_names_pass(value):
    validate_one_line_text(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Dupont\u202e", "inversent"),
        ("\u202aDupont\u202c", "inversent"),
        ("\u2067Dupont\u2069", "inversent"),
        ("Du\u200fpont", "inversent"),
        ("Du\u200bpont", "invisibles"),
        ("\ufeffDupont", "invisibles"),
        ("Du\u2060pont", "invisibles"),
        ("Du\x00pont", "contrôle"),
        ("Dupont\nDurand", "contrôle"),
        ("\u3164", "aucun caractère visible"),
        ("\u2800\u115f", "aucun caractère visible"),
        ("\u00ad\u0301", "aucun caractère visible"),
    ],
)
def test_hidden_characters_in_one_line_text_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        validate_one_line_text(value)


def test_multi_line_text_keeps_line_breaks_but_not_overrides():
    validate_multi_line_text("Ligne 1\r\nLigne 2\tfin 👩\u200d👧")
    with pytest.raises(ValidationError, match="inversent"):
        validate_multi_line_text("Motif\u202e")
    with pytest.raises(ValidationError, match="aucun caractère visible"):
        validate_multi_line_text("\u200b\u200b")


@pytest.mark.parametrize(
    "form_class",
    [ChangeRefusalForm, CreationRefusalForm, BookingRefusalForm, EnrolmentRefusalForm],
)
def test_refusal_reasons_are_bounded_and_visible(form_class):
    """A refusal reason had no limit (``ChangeRefusalForm``: a million characters passed)."""
    assert not form_class({"reason": "x" * 2001}).is_valid()
    form = form_class({"reason": "\u202eNon"})
    assert not form.is_valid()
    assert "inversent le sens d’écriture" in str(form.errors)
    assert form_class({"reason": "Dossier incomplet."}).is_valid()


def test_bulk_decision_reason_refuses_overrides():
    form = BulkDecisionForm(
        QueryDict("action=refuse&item=1&reason=Refus%E2%80%AE"),
        item_field="item",
        empty_message="Cochez au moins une ligne.",
    )
    assert not form.is_valid()
    assert "inversent" in str(form.errors)


def test_authorization_type_description_is_bounded():
    form = AuthorizationTypeForm(
        {"label": "Droit à l’image", "description": "x" * 2001, "order": 0, "active": "on"}
    )
    assert not form.is_valid()
    assert "au plus 2000 caractères" in str(form.errors["description"])


@pytest.mark.django_db
def test_booking_request_comment_refuses_overrides_and_length():
    form = PeriodRequestForm(children=Child.objects.none(), activities=Activity.objects.none())
    comment = form.fields["comment"]
    with pytest.raises(ValidationError, match="inversent"):
        comment.clean("À partir de lundi\u202e")
    with pytest.raises(ValidationError, match="au plus 1000 caractères"):
        comment.clean("x" * 1001)
    assert comment.clean("Garde alternée : semaines paires.") == "Garde alternée : semaines paires."
