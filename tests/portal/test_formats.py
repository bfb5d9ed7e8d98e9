def test_the_first_of_the_month_reads_premier():
    import datetime

    from portal.formats import date_long

    assert date_long(datetime.date(2026, 7, 1)) == "mercredi 1er juillet 2026"
    assert date_long(datetime.date(2026, 7, 1), capitalise=True) == "Mercredi 1er juillet 2026"
    assert date_long(datetime.date(2026, 7, 11)) == "samedi 11 juillet 2026"


def test_times_in_french_typography():
    import datetime

    from portal.formats import time_fr, time_range_fr

    nbsp = "\u00a0"
    assert time_fr(datetime.time(16, 30)) == f"16{nbsp}h{nbsp}30"
    assert time_fr(datetime.time(9, 5)) == f"9{nbsp}h{nbsp}05"
    assert time_fr(datetime.time(18, 0)) == f"18{nbsp}h"
    assert time_range_fr(datetime.time(16, 30), datetime.time(18, 30)) == (
        f"16{nbsp}h{nbsp}30 – 18{nbsp}h{nbsp}30"
    )
    assert time_fr(None) == ""


def test_moments_in_french_typography():
    import datetime

    from portal.formats import datetime_fr, datetime_long, time_fr

    nbsp = "\u00a0"
    moment = datetime.datetime(2026, 12, 1, 13, 5, tzinfo=datetime.UTC)  # 14:05 in Paris
    assert time_fr(moment) == f"14{nbsp}h{nbsp}05"
    assert datetime_fr(moment) == f"01/12/2026 à 14{nbsp}h{nbsp}05"
    assert datetime_long(moment) == f"mardi 1er décembre 2026 à 14{nbsp}h{nbsp}05"
    assert datetime_fr(None) == "" and datetime_long(None) == ""
