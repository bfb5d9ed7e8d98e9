"""The collectivity's digest hours: any number a day, written as parents and agents write them."""

import datetime

from django.core.exceptions import ValidationError

import pytest

from portal.models import digest_times_parse


@pytest.mark.parametrize(
    "text, expected",
    [
        ("13:00 18:00", [(13, 0), (18, 0)]),
        ("18:00, 13:00", [(13, 0), (18, 0)]),
        ("8h 12h30 17h", [(8, 0), (12, 30), (17, 0)]),
        ("9", [(9, 0)]),
        ("13:00 13:00", [(13, 0)]),
    ],
)
def test_hours_are_read_and_sorted(text, expected):
    assert digest_times_parse(text) == [datetime.time(h, m) for h, m in expected]


@pytest.mark.parametrize("text", ["", "  ", "25:00", "13:60", "midi", "13:00 dix-huit"])
def test_anything_else_is_a_french_error(text):
    with pytest.raises(ValidationError) as error:
        digest_times_parse(text)
    assert "heure" in error.value.messages[0]
