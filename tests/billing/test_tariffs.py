"""« Tarifs » in the back office: the list by activity, a tariff created and changed with its
brackets and rank reductions (formsets, without JavaScript), every refusal with its French
message and nothing saved, a billed tariff's prices locked and « Nouveau tarif à partir du … »,
and another collectivity's tariffs and activities out of reach."""

import datetime
from decimal import Decimal

import pytest

from billing.models import (
    Invoice,
    InvoiceLine,
    InvoicingRun,
    Regie,
    Tariff,
    TariffBracket,
    TariffRankReduction,
)
from notifications.models import TimelineEvent
from tests.planning.factories import ActivityFactory
from tests.portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db
BASE = "/admin/facturation/tarifs/"


@pytest.fixture
def agent(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


@pytest.fixture
def canteen(collectivity_a):
    return ActivityFactory(
        collectivity=collectivity_a, name="Restauration scolaire", accounting_code="7067"
    )


@pytest.fixture
def foreign(collectivity_b):
    activity = ActivityFactory(collectivity=collectivity_b, name="CantineInterditeB")
    tariff = Tariff.objects.create(
        activity=activity, valid_from=datetime.date(2026, 9, 1), unit=Tariff.Unit.MEAL
    )
    TariffBracket.objects.create(tariff=tariff, qf_min=0, price="9.99")
    return {"activity": activity, "tariff": tariff}


def _rows(prefix: str, rows: list[tuple], names: tuple, total: int = 3) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(max(total, len(rows))), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        for name, value in zip(names, row, strict=True):
            data[f"{prefix}-{index}-{name}"] = value
    return data


def form_data(activity, *, brackets=None, reductions=(), **values) -> dict:
    brackets = (
        [("0", "500", "1,50"), ("500,01", "1000", "2,50"), ("1000,01", "", "3,80")]
        if brackets is None
        else brackets
    )
    data = {
        "activity": str(activity.pk),
        "valid_from": "2026-09-01",
        "valid_to": "2027-08-31",
        "unit": "meal",
        "absence_price": "",
        "no_quotient": "highest",
        **values,
    }
    data.update(_rows("tranches", brackets, ("qf_min", "qf_max", "price")))
    data.update(_rows("rangs", list(reductions), ("rank", "percent")))
    return data


def _tariff(activity, start=datetime.date(2026, 9, 1), end=None, price="2.00"):
    tariff = Tariff.objects.create(
        activity=activity, valid_from=start, valid_to=end, unit=Tariff.Unit.MEAL
    )
    TariffBracket.objects.create(tariff=tariff, qf_min=0, qf_max=None, price=price)
    return tariff


# --- list, create, edit ------------------------------------------------------------------------


def test_create_a_tariff_with_brackets_and_reductions(agent, canteen, agent_a):
    page = agent.get(BASE + "ajouter/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="tranches-2-price"' in html and 'name="rangs-2-percent"' in html
    data = form_data(canteen, reductions=[("2", "80"), ("3", "50,5")], absence_price="1,20")
    response = agent.post(BASE + "ajouter/", data)
    assert response.status_code == 302, response.content.decode()
    tariff = Tariff.objects.get(activity=canteen)
    assert tariff.valid_to == datetime.date(2027, 8, 31)
    assert tariff.absence_price == Decimal("1.20")
    assert [(b.qf_min, b.qf_max, b.price) for b in tariff.brackets.all()] == [
        (Decimal("0.00"), Decimal("500.00"), Decimal("1.50")),
        (Decimal("500.01"), Decimal("1000.00"), Decimal("2.50")),
        (Decimal("1000.01"), None, Decimal("3.80")),
    ]
    assert [(r.rank, r.percent) for r in tariff.rank_reductions.all()] == [
        (2, Decimal("80.00")),
        (3, Decimal("50.50")),
    ]
    event = TimelineEvent.objects.get(verb="tariff_created")
    assert event.actor == agent_a and "Restauration scolaire" in event.message
    listing = agent.get(BASE).content.decode()
    assert "Restauration scolaire" in listing and "code comptable 7067" in listing
    assert BASE in agent.get("/admin/").content.decode()  # the menu entry
    assert "du 01/09/2026 au 31/08/2027" in listing and "3,80" in listing
    assert "à partir du rang 2 : 80 % du prix" in listing


def test_edit_replaces_brackets_and_a_blank_row_removes_one(agent, canteen):
    tariff = _tariff(canteen)
    TariffRankReduction.objects.create(tariff=tariff, rank=2, percent=90)
    page = agent.get(BASE + f"{tariff.pk}/").content.decode()
    assert 'value="2,00"' in page or 'value="2.00"' in page
    data = form_data(canteen, brackets=[("0", "800", "2"), ("", "", ""), ("800,01", "", "4")])
    response = agent.post(BASE + f"{tariff.pk}/", data)
    assert response.status_code == 302, response.content.decode()
    tariff.refresh_from_db()
    assert [b.price for b in tariff.brackets.all()] == [Decimal("2.00"), Decimal("4.00")]
    assert not tariff.rank_reductions.exists()
    assert TimelineEvent.objects.filter(verb="tariff_changed").count() == 1


def test_the_list_query_count_does_not_grow(
    agent, canteen, collectivity_a, django_assert_max_num_queries
):
    _tariff(canteen)
    agent.get(BASE)
    for _index in range(6):
        activity = ActivityFactory(collectivity=collectivity_a)
        for year in range(3):
            _tariff(
                activity,
                start=datetime.date(2020 + year, 1, 1),
                end=datetime.date(2020 + year, 12, 31),
            )
    with django_assert_max_num_queries(20):
        assert agent.get(BASE).status_code == 200


# --- refusals: nothing saved ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"valid_to": "2026-08-01"}, "La fin de validité (01/08/2026) est avant son début"),
        (
            {"brackets": [("0", "500", "1"), ("400", "", "2")]},
            "La tranche n° 2 (à partir de 400,00",
        ),
        (
            {"brackets": [("0", "500", "1"), ("500", "", "2")]},
            "elle doit commencer à 500,01",
        ),
        (
            {"brackets": [("0", "500", "1"), ("600", "", "2")]},
            "Aucune tranche ne couvre les quotients de 500,01\u00a0€ à 599,99\u00a0€.",
        ),
        (
            {"brackets": [("100", "", "1")]},
            "Aucune tranche ne couvre les quotients de 0,00\u00a0€ à 99,99\u00a0€",
        ),
        (
            {"brackets": [("0", "500", "1")]},
            "Aucune tranche ne couvre les quotients au-delà de 500,00",
        ),
        (
            {"brackets": [("500,01", "", "2"), ("0", "500", "1")]},
            "Les tranches se suivent par quotient croissant",
        ),
        ({"brackets": [("0", "", "2"), ("500", "", "1")]}, "Seule la dernière tranche"),
        ({"brackets": [("0", "", "-1")]}, "Le prix ne peut pas être négatif."),
        ({"brackets": []}, "Indiquez au moins une tranche"),
        ({"brackets": [("0", "", "abc")]}, "Saisissez un montant en euros"),
        ({"absence_price": "-2"}, "Le prix d’une absence facturée ne peut pas être négatif."),
        ({"reductions": [("1", "50")]}, "le rang 1 n’est pas possible"),
        ({"reductions": [("2", "120")]}, "doit être compris entre 0 et 100"),
        ({"reductions": [("2", "-5")]}, "doit être compris entre 0 et 100"),
        ({"reductions": [("2", "80"), ("2", "70")]}, "Le rang 2 est indiqué deux fois."),
        ({"valid_from": ""}, "Indiquez le premier jour de validité."),
    ],
)
def test_a_bad_tariff_is_refused_and_nothing_is_saved(agent, canteen, changes, message):
    response = agent.post(BASE + "ajouter/", form_data(canteen, **changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert "rien n&#x27;a été enregistré" in html or "rien n’a été enregistré" in html
    from django.utils.html import escape

    assert escape(message) in html or message in html, html
    assert not Tariff.objects.exists() and not TariffBracket.objects.exists()


def test_overlapping_tariffs_of_one_activity_are_refused(agent, canteen, collectivity_a):
    _tariff(canteen, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31))
    response = agent.post(
        BASE + "ajouter/", form_data(canteen, valid_from="2026-12-01", valid_to="")
    )
    assert response.status_code == 400
    assert (
        "chevauche le tarif de « Restauration scolaire » valable du 01/01/2026 au 31/12/2026"
        in (response.content.decode())
    )
    assert Tariff.objects.count() == 1
    # The day after is fine, and another activity is not concerned.
    other = ActivityFactory(collectivity=collectivity_a)
    assert (
        agent.post(BASE + "ajouter/", form_data(other, valid_from="2026-06-01")).status_code == 302
    )
    ok = agent.post(BASE + "ajouter/", form_data(canteen, valid_from="2027-01-01", valid_to=""))
    assert ok.status_code == 302 and Tariff.objects.count() == 3


def test_another_collectivitys_tariff_and_activity_are_out_of_reach(agent, canteen, foreign):
    assert agent.get(BASE + f"{foreign['tariff'].pk}/").status_code == 404
    response = agent.post(BASE + f"{foreign['tariff'].pk}/", form_data(canteen))
    assert response.status_code == 404
    assert agent.get(BASE + "ajouter/", {"remplace": foreign["tariff"].pk}).status_code == 404
    page = agent.get(BASE + "ajouter/").content.decode()
    assert "CantineInterditeB" not in page and "Restauration scolaire" in page
    assert "CantineInterditeB" not in agent.get(BASE).content.decode()
    response = agent.post(BASE + "ajouter/", form_data(foreign["activity"]))
    assert response.status_code == 400
    assert "Choisissez une activité de votre collectivité." in response.content.decode()
    assert Tariff.objects.count() == 1


def test_parents_and_other_agents_are_refused(client_a, canteen, collectivity_b):
    from portal.models import Membership
    from portal.services import membership_grant
    from tests.portal.factories import UserFactory

    tariff = _tariff(canteen)
    other = UserFactory(email="agent.b@example.test")
    membership_grant(user=other, collectivity=collectivity_b, role=Membership.Role.AGENT)
    client_a.force_login(other)
    assert client_a.get(BASE + f"{tariff.pk}/").status_code == 403
    assert client_a.post(BASE + "ajouter/", form_data(canteen)).status_code == 403


# --- a billed tariff -------------------------------------------------------------------------


def _bill(activity, *, start, end, status=InvoicingRun.Status.ISSUED):
    regie = Regie.objects.get_or_create(
        collectivity=activity.collectivity, code="01", defaults={"name": "Régie"}
    )[0]
    run = InvoicingRun.objects.create(
        regie=regie, label="Facturation", period_start=start, period_end=end, status=status
    )
    family = FamilyFactory(collectivity=activity.collectivity)
    invoice = Invoice.objects.create(
        regie=regie,
        family=family,
        payer_name="Léa Dupont",
        number=f"F01-2026-{run.pk:06d}",
        issue_date=end,
        due_date=end,
        total=10,
        run=run,
    )
    InvoiceLine.objects.create(
        invoice=invoice, activity=activity, label="Repas", quantity=5, unit_price=2, amount=10
    )
    return run


def test_a_billed_tariff_keeps_its_prices(agent, canteen):
    tariff = _tariff(canteen, start=datetime.date(2026, 9, 1))
    # A run of another period, or a draft, does not lock it.
    _bill(canteen, start=datetime.date(2026, 6, 1), end=datetime.date(2026, 6, 30))
    assert agent.post(BASE + f"{tariff.pk}/", form_data(canteen, valid_to="")).status_code == 302
    _bill(canteen, start=datetime.date(2026, 9, 1), end=datetime.date(2026, 9, 30))
    page = agent.get(BASE + f"{tariff.pk}/").content.decode()
    assert (
        "Tarif déjà facturé" in page
        and "jusqu&#x27;au 30/09/2026" in page
        or ("jusqu’au 30/09/2026" in page)
    )
    before = list(tariff.brackets.values_list("price", flat=True))
    response = agent.post(
        BASE + f"{tariff.pk}/",
        form_data(canteen, valid_to="", brackets=[("0", "", "9")]),
    )
    assert response.status_code == 400
    assert "ses prix, son activité et sa date de début ne changent plus" in (
        response.content.decode()
    )
    assert list(tariff.brackets.values_list("price", flat=True)) == before
    # Its end date may still change, not before the last day billed.
    same = {"valid_from": "2026-09-01"}  # the prices saved before it was billed
    early = agent.post(BASE + f"{tariff.pk}/", form_data(canteen, valid_to="2026-09-15", **same))
    assert early.status_code == 400 and "facturé jusqu’au 30/09/2026" in early.content.decode()
    ok = agent.post(BASE + f"{tariff.pk}/", form_data(canteen, valid_to="2026-12-31", **same))
    assert ok.status_code == 302
    tariff.refresh_from_db()
    assert tariff.valid_to == datetime.date(2026, 12, 31)


def test_a_new_tariff_from_a_date_closes_the_billed_one(agent, canteen):
    tariff = _tariff(canteen, start=datetime.date(2026, 9, 1))
    TariffRankReduction.objects.create(tariff=tariff, rank=2, percent=75)
    _bill(canteen, start=datetime.date(2026, 9, 1), end=datetime.date(2026, 9, 30))
    page = agent.get(BASE + "ajouter/", {"remplace": tariff.pk, "valid_from": "2026-10-01"})
    html = page.content.decode()
    assert page.status_code == 200 and 'name="remplace"' in html and 'value="2026-10-01"' in html
    assert 'value="75' in html  # its prices are copied into the form
    too_early = agent.post(
        BASE + "ajouter/",
        {**form_data(canteen, valid_from="2026-09-20", valid_to=""), "remplace": tariff.pk},
    )
    assert too_early.status_code == 400
    assert "déjà été facturé jusqu’au 30/09/2026" in too_early.content.decode()
    response = agent.post(
        BASE + "ajouter/",
        {**form_data(canteen, valid_from="2026-10-01", valid_to=""), "remplace": tariff.pk},
    )
    assert response.status_code == 302, response.content.decode()
    tariff.refresh_from_db()
    assert tariff.valid_to == datetime.date(2026, 9, 30)
    new = Tariff.objects.exclude(pk=tariff.pk).get()
    assert new.valid_from == datetime.date(2026, 10, 1) and new.valid_to is None
    assert list(tariff.brackets.values_list("price", flat=True)) == [Decimal("2.00")]
