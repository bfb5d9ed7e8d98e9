"""``acknowledgement_build``, the pure function behind the acknowledgement e-mail: what a
request on one day says, and how a long period's days group by outcome and month."""

import datetime
from decimal import Decimal

from planning.services.acknowledgements import (
    ABSENCE_BILLED,
    ACCEPTED,
    PENDING,
    WAITING,
    AskedDay,
    LeftOutDay,
    acknowledgement_build,
)

D = datetime.date


def period_days(start, end, weekdays):
    day = start
    while day <= end:
        if day.weekday() in weekdays:
            yield day
        day += datetime.timedelta(days=1)


def build(days, left_out=(), *, children=("Léa",), start, end, weekdays=(0, 2), kind="reservation"):
    return acknowledgement_build(
        kind=kind,
        activity="Accueil du mercredi",
        children=list(children),
        date_from=start,
        date_to=end,
        weekdays=list(weekdays),
        days=list(days),
        left_out=list(left_out),
        start_time=datetime.time(8, 30),
        end_time=datetime.time(17, 0),
        collectivity="la Ville de Beaulieu-sur-Loire",
    )


def test_one_day_names_the_day_the_times_and_each_childs_outcome():
    day = D(2027, 1, 13)
    ack = build(
        [AskedDay("Léa", day, ACCEPTED), AskedDay("Tom", day, WAITING, position=2)],
        [LeftOutDay("Zoé", day, "Enfant non inscrit à cette date")],
        children=("Léa", "Tom", "Zoé"),
        start=day,
        end=day,
        weekdays=[2],
    )
    assert ack.one_day and ack.children == "Léa, Tom et Zoé"
    assert ack.day == "mercredi 13 janvier 2027"
    assert ack.times == "de 8 h 30 à 17 h 00"
    assert [(o.child, o.label) for o in ack.outcomes] == [
        ("Léa", "Réservation acceptée"),
        ("Tom", "En liste d’attente, position 2 (le créneau est complet)"),
        ("Zoé", "Enfant non inscrit à cette date"),
    ]
    assert ack.next_steps == [
        "Ce qui a été accepté apparaît déjà dans votre planning.",
        "Si une place se libère, vous en serez informé(e) par e-mail.",
    ]


def test_a_billed_absence_says_its_cost_and_without_a_price_says_billed():
    day = D(2027, 1, 13)
    priced = build(
        [AskedDay("Léa", day, ABSENCE_BILLED, cost=Decimal("3.5"))],
        start=day,
        end=day,
        kind="absence",
    )
    assert priced.is_absence
    assert priced.outcomes[0].label == (
        "Absence enregistrée, facturée 3,50 € (déclarée après le délai d’annulation)"
    )
    free = build([AskedDay("Léa", day, ABSENCE_BILLED)], start=day, end=day, kind="absence")
    assert free.outcomes[0].label == (
        "Absence enregistrée, facturée (déclarée après le délai d’annulation)"
    )


def test_180_days_group_by_month():
    start, end = D(2027, 1, 4), D(2027, 7, 2)
    days = [AskedDay("Léa", day, PENDING) for day in period_days(start, end, {0, 2})]
    ack = build(days, start=start, end=end)

    assert not ack.one_day
    assert ack.period == "du lundi 4 janvier 2027 au vendredi 2 juillet 2027"
    assert ack.weekdays == "lundi, mercredi"
    [group] = ack.groups
    assert group.title == "Demande en attente de validation"
    assert (group.children, group.detail) == ("", "52 jours")
    assert [row.text for row in group.months] == [
        "janvier 2027 : 4, 6, 11, 13, 18, 20, 25, 27 (8 jours)",
        "février 2027 : 1er, 3, 8, 10, 15, 17, 22, 24 (8 jours)",
        "mars 2027 : 1er, 3, 8, 10, 15, 17, 22, 24, 29, 31 (10 jours)",
        "avril 2027 : 5, 7, 12, 14, 19, 21, 26, 28 (8 jours)",
        "mai 2027 : 3, 5, 10, 12, 17, 19, 24, 26, 31 (9 jours)",
        "juin 2027 : 2, 7, 9, 14, 16, 21, 23, 28, 30 (9 jours)",
    ]
    assert ack.next_steps == [
        "La Ville de Beaulieu-sur-Loire étudiera votre demande ; vous serez informé(e) de sa "
        "décision par e-mail."
    ]


def test_what_children_share_is_said_once_and_the_rest_per_child():
    start, end = D(2027, 1, 4), D(2027, 1, 29)
    days = [
        AskedDay(name, day, ACCEPTED)
        for day in period_days(start, end, {0})
        for name in ("Léa", "Tom")
    ]
    days = [d for d in days if (d.child, d.date) != ("Tom", D(2027, 1, 11))]
    days += [
        AskedDay("Léa", D(2027, 1, 14), WAITING, position=1),
        AskedDay("Tom", D(2027, 1, 14), WAITING, position=2),
    ]
    left_out = [LeftOutDay("Tom", D(2027, 1, 11), "Déjà réservé")]
    ack = build(days, left_out, children=("Léa", "Tom"), start=start, end=end, weekdays=[0, 3])

    texts = [(g.title, g.children, g.detail, g.inline) for g in ack.groups]
    assert texts == [
        ("Réservation acceptée", "Léa et Tom", "3 jours chacun", "4, 18, 25 janvier 2027"),
        ("Réservation acceptée", "Léa", "1 jour", "lundi 11 janvier 2027"),
        (
            "En liste d’attente",
            "Léa et Tom",
            "1 jour chacun",
            "jeudi 14 janvier 2027 (Léa position 1, Tom position 2)",
        ),
    ]
    assert [(g.title, g.children, g.inline) for g in ack.left_out] == [
        ("Déjà réservé", "Tom", "lundi 11 janvier 2027")
    ]


def test_left_out_days_group_by_reason_every_weekday_and_kind_of_day():
    start, end = D(2027, 1, 4), D(2027, 6, 30)
    wednesdays = [
        LeftOutDay(name, day, "Fermé ce jour de la semaine")
        for day in period_days(start, end, {2})
        for name in ("Léa", "Tom")
    ]
    holidays = [
        LeftOutDay(name, day, reason)
        for day, reason in [
            (D(2027, 3, 29), "Jour férié : Lundi de Pâques"),
            (D(2027, 5, 17), "Jour férié : Lundi de Pentecôte"),
        ]
        for name in ("Léa", "Tom")
    ]
    winter = [
        LeftOutDay("Léa", day, "Vacances scolaires : Vacances d’hiver")
        for day in (D(2027, 2, 22), D(2027, 3, 1))
    ]
    ack = build(
        [AskedDay("Léa", D(2027, 1, 4), ACCEPTED)],
        wednesdays + holidays + winter,
        children=("Léa", "Tom"),
        start=start,
        end=end,
        weekdays=[0, 2],
    )
    assert [(g.title, g.children, g.inline) for g in ack.left_out] == [
        ("Fermé ce jour de la semaine", "", "tous les mercredis"),
        ("Vacances scolaires : Vacances d’hiver", "Léa", "22 février 2027 ; 1er mars 2027"),
        (
            "Jour férié",
            "",
            "lundi 29 mars 2027 (Lundi de Pâques), lundi 17 mai 2027 (Lundi de Pentecôte)",
        ),
    ]


def test_billed_absences_over_a_period_add_up_their_cost():
    start, end = D(2027, 1, 4), D(2027, 1, 15)
    days = [
        AskedDay("Léa", day, ABSENCE_BILLED, cost=Decimal("3.50"))
        for day in period_days(start, end, {0, 1, 3, 4})
    ]
    [group] = build(days, start=start, end=end, weekdays=[0, 1, 3, 4], kind="absence").groups
    assert group.title == "Absence enregistrée, facturée"
    assert group.detail == "8 jours, 28,00 €"
    assert [row.text for row in group.months] == [
        "janvier 2027 : 4, 5, 7, 8, 11, 12, 14, 15 (8 jours)"
    ]
