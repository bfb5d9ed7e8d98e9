"""The planning page writes its dates from names looked up once a page
(``planning.views.planning._DayNames``): they must read as ``portal.formats.date_long`` and
Django's ``date_format`` write them."""

import datetime

from django.utils import formats, translation

from planning.views.planning import _DayNames
from portal.formats import date_long


def test_day_names_write_what_date_long_and_date_format_write():
    names = _DayNames()
    day = datetime.date(2026, 1, 1)
    with translation.override("fr"):
        while day.year == 2026:
            assert names.date_long(day) == date_long(day)
            assert names.day_month(day) == formats.date_format(day, "l j F")
            assert names.name("D", day) == formats.date_format(day, "D")
            day += datetime.timedelta(days=1)
