"""The planning on a phone and on a desktop (issue #16, items 1, 2, 3, 7), in a browser:

- at 320 px the month reads as an agenda (only days with slots, today first), the views,
  « Réservations » / « Absences » and the filters' and legend's disclosures in the first
  screen, the switches right under them once opened (boxes measured);
- at every width from 320 px, no slot card is wider than its day cell (boxes measured);
- after a request from the month with a child hidden, the parent is back on that month with
  that child hidden: through the dialog (JavaScript) and through the slot page (without);
- the « Liste » of requests at 320 px: one card per request, nothing scrolls sideways;
- axe-core reports nothing on these pages.
"""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.test import Client

import pytest
import time_machine
from playwright.sync_api import expect

from planning.models import Booking, BookingRequest
from planning.rules import PARIS
from planning.services import request_submit
from tests.e2e.helpers import slot_link
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Wednesday 2 December 2026, 9:00: the canteen opens on Mondays, Tuesdays, Thursdays, Fridays.
NOW = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=PARIS)
PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=True):
        yield


def _log_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.fixture
def world(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    parent = UserFactory(email="claire.phone@example.test")
    SubscriptionFactory(user=parent, family=family)
    lea = ChildFactory(family=family, first_name="Léa", birth_date=datetime.date(2017, 3, 1))
    hugo = ChildFactory(family=family, first_name="Hugo", birth_date=datetime.date(2019, 6, 2))
    canteen = ActivityFactory(
        collectivity=collectivity_a, name="Restauration scolaire", requires_approval=True
    )
    evening = ActivityFactory(
        collectivity=collectivity_a,
        name="Accueil périscolaire du soir",
        start_time=datetime.time(16, 30),
        end_time=datetime.time(18, 30),
    )
    for child in (lea, hugo):
        EnrolmentFactory(child=child, activity=canteen)
    EnrolmentFactory(child=lea, activity=evening)
    days = [datetime.date(2026, 12, d) for d in (1, 3, 4, 7, 8)]
    slots = {day: SlotFactory(activity=canteen, date=day) for day in days}
    evening_slot = SlotFactory(activity=evening, date=days[2])
    BookingFactory(child=lea, slot=slots[days[0]], state=Booking.State.PRESENT)
    BookingFactory(child=hugo, slot=slots[days[1]], state=Booking.State.RESERVED)
    BookingFactory(child=lea, slot=evening_slot, state=Booking.State.RESERVED)
    # A pending period request of both children: 2 days, 2 children.
    request_submit(
        family=family,
        user=parent,
        kind=BookingRequest.Kind.RESERVATION,
        activity=canteen,
        children=[lea, hugo],
        date_from=days[3],
        date_to=days[4],
        weekdays=[0, 1],
        submission_key="phone-world",
        comment="",
    )
    return {
        "parent": parent,
        "lea": lea,
        "hugo": hugo,
        "canteen": canteen,
        "evening": evening,
        "slots": slots,
        "days": days,
    }


def _box_inside(page, selector: str) -> bool:
    return page.locator(selector).first.evaluate(
        "(el) => el.getBoundingClientRect().bottom <= window.innerHeight"
    )


def test_phone_agenda_with_controls_in_the_first_screen(live_server, page, axe, world):
    _log_in(page.context, live_server, world["parent"])
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/famille/planning/?vue=mois&date=2026-12-02")
    expect(page.locator("#planning-periode")).to_have_text("Décembre 2026")
    # The agenda, not the grid.
    expect(page.locator(".planning-grid")).to_be_hidden()
    agenda = page.locator(".planning-agenda")
    expect(agenda).to_be_visible()
    # Only days with slots, today first (Wednesday 2 has none: Thursday 3 first), then the
    # period's earlier days.
    dates = agenda.locator(".agenda__date:visible").all_inner_texts()
    assert dates == [
        "Jeudi 3 décembre",
        "Vendredi 4 décembre",
        "Lundi 7 décembre",
        "Mardi 8 décembre",
        "Mardi 1 décembre",
    ], dates
    expect(agenda.locator(".agenda__past-title")).to_have_text("Plus tôt dans la période")

    # In the first screen (scrolled to the top): period, views, request buttons, disclosures.
    assert page.evaluate("window.scrollY") == 0
    height = PHONE["height"]
    controls = [
        page.get_by_role("link", name="Mois précédent"),
        page.get_by_role("link", name="Mois suivant"),
        *[
            page.get_by_role("navigation", name="Affichage du planning").get_by_role(
                "link", name=n, exact=True
            )
            for n in ("Mois", "Semaine (7 jours)", "Semaine (5 jours)", "Jour", "Liste")
        ],
        page.get_by_role("link", name="Réservations", exact=True),
        page.get_by_role("link", name="Absences", exact=True),
        page.locator("summary", has_text="Filtres"),
        page.locator("summary", has_text="Légende"),
    ]
    for control in controls:
        box = control.bounding_box()
        assert box is not None, control
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (control, box)
        assert box["y"] + box["height"] <= height, (control, box)
    # Opened, the filters show the switches right under them, still in the first screen.
    page.locator("summary", has_text="Filtres").click()
    for name in ("Léa", "Hugo"):
        switch = page.get_by_role("switch", name=name)
        expect(switch).to_be_visible()
        box = switch.bounding_box()
        assert box["y"] + box["height"] <= height, (name, box)
    expect(page.get_by_role("switch", name="Restauration scolaire")).to_be_visible()
    # The legend, one tap away.
    page.locator("summary", has_text="Légende").click()
    expect(page.locator(".planning-legend")).to_contain_text("Inscrit, non réservable")
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    axe(page, context="planning à 320 px, agenda")

    # A switch hides the child in the agenda at once.
    page.get_by_role("switch", name="Hugo").click()
    expect(slot_link(page, world["slots"][world["days"][1]], world["hugo"])).to_have_count(0)
    expect(slot_link(page, world["slots"][world["days"][1]], world["lea"])).to_be_visible()
    expect(page.locator("[data-planning-count]")).to_have_text("6 créneaux affichés")


CARD_FITS = """() => {
  const out = [];
  document.querySelectorAll('.slot__link').forEach((link) => {
    if (!link.offsetParent) return;  // hidden (filtered out, or the other layout)
    const cell = link.closest('td, .agenda__day, .planning-dayview');
    const a = link.getBoundingClientRect(), c = cell.getBoundingClientRect();
    if (a.left < c.left - 0.5 || a.right > c.right + 0.5 || a.width > c.width) {
      out.push([link.textContent.trim().slice(0, 40), a.left, a.right, c.left, c.right]);
    }
  });
  return out;
}"""


@pytest.mark.parametrize("width", [320, 480, 768, 900, 1024, 1120, 1280, 1600])
def test_no_slot_card_is_wider_than_its_cell(live_server, page, world, width):
    _log_in(page.context, live_server, world["parent"])
    page.set_viewport_size({"width": width, "height": 900})
    for view in ("mois", "semaine", "semaine5"):
        page.goto(live_server.url + f"/famille/planning/?vue={view}&date=2026-12-02")
        visible = page.locator(".slot__link:visible")
        assert visible.count() > 0
        assert page.evaluate(CARD_FITS) == [], (width, view)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (width, view)
    if width == 1280:
        page.goto(live_server.url + "/famille/planning/?vue=mois&date=2026-12-02")
        # The « aujourd'hui » frame: today's cell is not covered by its neighbours' cards.
        expect(page.locator("td.planning-day--today")).to_contain_text("aujourd’hui")


def _query(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def test_request_from_the_month_with_a_child_hidden_comes_back_there(live_server, page, axe, world):
    """With JavaScript, at 1 280 px: the dialog."""
    lea, hugo, canteen = world["lea"], world["hugo"], world["canteen"]
    slot = world["slots"][world["days"][2]]  # Friday 4: Léa may still ask for it
    _log_in(page.context, live_server, world["parent"])
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/famille/planning/?vue=mois&date=2026-12-02")
    page.get_by_role("switch", name="Hugo").click()
    expect(slot_link(page, slot, hugo)).to_have_count(0)
    slot_link(page, slot, lea).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".state-badge")).to_have_text(re.compile("Inscrit, réservable"))
    axe(page, context="dialogue du créneau")
    dialog.get_by_role("button", name="Confirmer la demande").click()
    expect(page.locator(".messages")).to_contain_text("soumise à validation")
    query = _query(page.url)
    assert (query["vue"], query["date"], query["filtre"], query["enfant"]) == (
        ["mois"],
        ["2026-12-02"],
        ["1"],
        [str(lea.pk)],
    ), page.url
    assert sorted(query["activite"]) == sorted([str(canteen.pk), str(world["evening"].pk)])
    expect(page.locator("#planning-periode")).to_have_text("Décembre 2026")
    expect(page.get_by_role("switch", name="Hugo")).not_to_be_checked()
    expect(page.get_by_role("switch", name="Léa")).to_be_checked()
    expect(slot_link(page, slot, hugo)).to_have_count(0)
    # The card now says what the legend calls it, with the hourglass, not « … ».
    card = slot_link(page, slot, lea)
    expect(card).to_contain_text("Demande en attente de validation")
    expect(card.locator(".slot__symbol--pending")).to_have_count(1)
    assert "…" not in card.inner_text()
    axe(page, context="planning après la demande")


def test_request_without_javascript_comes_back_to_the_month(live_server, browser, world):
    """Without JavaScript, at 320 px: « Filtrer », the slot page, « Confirmer la demande »."""
    lea, hugo = world["lea"], world["hugo"]
    slot = world["slots"][world["days"][1]]  # Thursday 3: Hugo's reserved canteen
    context = browser.new_context(java_script_enabled=False, locale="fr-FR", viewport=PHONE)
    _log_in(context, live_server, world["parent"])
    page = context.new_page()
    page.goto(live_server.url + "/famille/planning/?vue=mois&date=2026-12-02")
    page.locator("summary", has_text="Filtres").click()
    page.get_by_role("switch", name="Hugo").uncheck()
    page.get_by_role("button", name="Filtrer").click()
    assert _query(page.url)["enfant"] == [str(lea.pk)]
    # Léa's Friday 4 canteen, from the agenda.
    target = world["slots"][world["days"][2]]
    slot_link(page, target, lea).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Restauration scolaire — Léa")
    # (axe-core needs JavaScript: the same page is checked in tests/e2e/test_planning_journey.py.)
    page.get_by_role("button", name="Confirmer la demande").click()
    expect(page.locator(".messages")).to_contain_text("soumise à validation")
    query = _query(page.url)
    assert (query["vue"], query["date"], query["enfant"]) == (
        ["mois"],
        ["2026-12-02"],
        [str(lea.pk)],
    ), page.url
    # (The switches are behind the closed « Filtres » disclosure.)
    expect(page.locator(f"#filtre-enfant-{hugo.pk}")).not_to_be_checked()
    expect(page.locator(f"#filtre-enfant-{lea.pk}")).to_be_checked()
    expect(slot_link(page, slot, hugo)).to_have_count(0)
    context.close()


def test_requests_list_reads_as_cards_at_320px(live_server, page, axe, world):
    _log_in(page.context, live_server, world["parent"])
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/famille/planning/liste/")
    table = page.locator("table.request-list")
    expect(table).to_be_visible()
    # The card says what the request counts and shows its state with the legend's drawing.
    row = table.locator("tbody tr").first
    expect(row).to_contain_text("Restauration scolaire")
    expect(row.locator(".slot__symbol--pending")).to_have_count(1)
    box = table.bounding_box()
    content = page.locator("main").evaluate(
        "(el) => el.clientWidth - parseFloat(getComputedStyle(el).paddingLeft) - parseFloat(getComputedStyle(el).paddingRight)"
    )
    assert content == 288
    assert box["width"] <= content, box
    # Each cell stacks under its column's name; nothing scrolls sideways.
    cell = row.locator("td").first
    assert cell.evaluate("(el) => getComputedStyle(el, '::before').content") == '"Enfant(s)"'
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    axe(page, context="liste des demandes à 320 px")
    # « Mes demandes » too.
    page.goto(live_server.url + "/mon-espace/demandes/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
