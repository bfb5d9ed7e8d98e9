"""« Planning des activités » in a browser: the parent switches between the five views (month,
7-day week, 5-day week, day, list), hides a child and an activity with the switches, reads a
slot's tooltip by keyboard, opens the slot and reads its history. axe-core on every view; the
planning also at 320 px, where the grid becomes a day-by-day list."""

import datetime
import re

from django.conf import settings
from django.test import Client

import pytest
from playwright.sync_api import expect

from planning.models import Booking, BookingEvent, BookingRequest, BookingRequestLine
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


def _log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.fixture
def family_world(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    parent = UserFactory(email="claire.planning@example.test")
    SubscriptionFactory(user=parent, family=family)
    lea = ChildFactory(family=family, first_name="Léa", birth_date=datetime.date(2017, 3, 1))
    hugo = ChildFactory(family=family, first_name="Hugo", birth_date=datetime.date(2019, 6, 2))
    canteen = ActivityFactory(collectivity=collectivity_a, name="Cantine")
    evening = ActivityFactory(
        collectivity=collectivity_a,
        name="Accueil du soir",
        kind="evening_care",
        start_time=datetime.time(16, 30),
        end_time=datetime.time(18, 30),
    )
    for child in (lea, hugo):
        EnrolmentFactory(child=child, activity=canteen)
    EnrolmentFactory(child=lea, activity=evening)
    thursday = datetime.date(2026, 12, 3)
    slots = {
        day: SlotFactory(activity=canteen, date=day)
        for day in (datetime.date(2026, 12, 1), thursday, datetime.date(2026, 12, 4))
    }
    evening_slot = SlotFactory(activity=evening, date=thursday)
    reserved = BookingFactory(child=lea, slot=slots[thursday], state=Booking.State.RESERVED)
    BookingFactory(child=hugo, slot=slots[thursday], state=Booking.State.WAITING)
    BookingFactory(child=lea, slot=evening_slot, state=Booking.State.ABSENT_BILLED)
    request = BookingRequest.objects.create(
        family=family,
        activity=canteen,
        kind=BookingRequest.Kind.RESERVATION,
        date_from=thursday,
        date_to=thursday,
        weekdays=[3],
        created_by=parent,
    )
    line = BookingRequestLine.objects.create(
        request=request, child=lea, slot=slots[thursday], status="accepted"
    )
    BookingEvent.objects.create(
        booking=reserved,
        verb=BookingEvent.Verb.REQUESTED,
        state=Booking.State.PENDING,
        request_line=line,
        actor=parent,
    )
    BookingEvent.objects.create(
        booking=reserved,
        verb=BookingEvent.Verb.ACCEPTED,
        state=Booking.State.RESERVED,
        request_line=line,
    )
    return {
        "parent": parent,
        "lea": lea,
        "hugo": hugo,
        "canteen": canteen,
        "evening": evening,
        "slot": slots[thursday],
        "evening_slot": evening_slot,
    }


def test_planning_journey(live_server, page, axe, family_world):
    lea, hugo = family_world["lea"], family_world["hugo"]
    slot, evening_slot = family_world["slot"], family_world["evening_slot"]
    _log_in(page, live_server, family_world["parent"])

    # Month (default view), on the month of the slots.
    page.goto(live_server.url + "/famille/planning/?date=2026-12-03")
    expect(page.get_by_role("heading", level=1)).to_have_text("Planning des activités")
    expect(page.locator("#planning-periode")).to_have_text("Décembre 2026")
    expect(page.get_by_role("table")).to_be_visible()
    expect(page.get_by_role("columnheader")).to_have_count(7)
    expect(slot_link(page, slot, lea)).to_contain_text("Réservé / présent")
    expect(slot_link(page, slot, hugo)).to_contain_text("En liste d’attente")
    expect(slot_link(page, evening_slot, lea)).to_contain_text("Absence facturée")
    legend = page.locator(".planning-legend")
    for label in (
        "Inscrit, réservable",
        "Inscrit, non réservable",
        "Demande en attente de validation",
        "Réservé / présent",
        "En liste d’attente",
        "Absent",
        "Absence facturée",
    ):
        expect(legend).to_contain_text(label)
    axe(page, context="planning, mois")

    views = page.get_by_role("navigation", name="Affichage du planning")
    views.get_by_role("link", name="Semaine (7 jours)").click()
    expect(page.locator("#planning-periode")).to_have_text(
        "Semaine du 30 novembre au 6 décembre 2026"
    )
    expect(page.get_by_role("columnheader")).to_have_count(7)
    axe(page, context="planning, semaine de 7 jours")

    views.get_by_role("link", name="Semaine (5 jours)").click()
    expect(page.get_by_role("columnheader")).to_have_count(5)
    expect(page.get_by_role("columnheader").last).to_have_text("Vendredi 4 décembre")
    axe(page, context="planning, semaine de 5 jours")

    views.get_by_role("link", name="Jour", exact=True).click()
    expect(page.locator("#planning-periode")).to_have_text("Jeudi 3 décembre 2026")
    expect(page.get_by_role("table")).to_have_count(0)
    expect(slot_link(page, slot, lea)).to_be_visible()
    axe(page, context="planning, jour")

    # Next day, then back: the navigation keeps the view.
    page.get_by_role("link", name="Jour suivant").click()
    expect(page.locator("#planning-periode")).to_have_text("Vendredi 4 décembre 2026")
    page.get_by_role("link", name="Jour précédent").click()
    expect(page.locator("#planning-periode")).to_have_text("Jeudi 3 décembre 2026")

    # The list of requests (« Planning / Liste »).
    views.get_by_role("link", name="Liste", exact=True).click()
    expect(page).to_have_url(re.compile(r"/famille/planning/liste/"))
    axe(page, context="planning, liste")

    # Back to the month: hide Hugo, then the evening care, with the switches (no reload).
    page.goto(live_server.url + "/famille/planning/?vue=mois&date=2026-12-03")
    hugo_switch = page.get_by_role("switch", name="Hugo")
    expect(hugo_switch).to_be_checked()
    hugo_switch.click()
    expect(hugo_switch).not_to_be_checked()
    expect(slot_link(page, slot, hugo)).to_be_hidden()
    expect(slot_link(page, slot, lea)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"filtre=1&enfant={lea.pk}(&|$)"))
    page.get_by_role("switch", name="Accueil du soir").click()
    expect(slot_link(page, evening_slot, lea)).to_be_hidden()
    expect(slot_link(page, slot, lea)).to_be_visible()
    # Léa's canteen on the 1st, 3rd and 4th.
    expect(page.locator("[data-planning-count]")).to_have_text("3 créneaux affichés")
    # The navigation links carry the filters: the next month keeps them.
    next_href = page.get_by_role("link", name="Mois suivant").get_attribute("href")
    assert f"enfant={lea.pk}" in next_href and f"enfant={hugo.pk}" not in next_href
    axe(page, context="planning filtré")
    # A reload (what the « Filtrer » button gives without JavaScript) shows the same.
    page.reload()
    expect(page.get_by_role("switch", name="Hugo")).not_to_be_checked()
    expect(slot_link(page, slot, hugo)).to_be_hidden()
    expect(slot_link(page, evening_slot, lea)).to_be_hidden()
    page.get_by_role("switch", name="Hugo").click()
    expect(slot_link(page, slot, hugo)).to_be_visible()

    # The tooltip, by keyboard: Tab to Léa's Thursday canteen slot.
    target = slot_link(page, slot, lea)
    tooltip = page.locator(f"#infobulle-{slot.pk}-{lea.pk}")
    expect(tooltip).to_be_hidden()
    page.locator("body").click(position={"x": 1, "y": 1})
    for _press in range(120):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("The slot link is not reachable with Tab")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_text("Cantine — jeudi 3 décembre 2026 — Réservé / présent")
    expect(target).to_have_attribute("aria-describedby", f"infobulle-{slot.pk}-{lea.pk}")
    page.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()

    # Open the slot (Enter): with JavaScript, the slot's page opens in a dialog…
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".slot-history")).to_contain_text("Historique du créneau")
    axe(page, context="dialogue du créneau")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # …and the same page without JavaScript: its history.
    page.goto(live_server.url + f"/famille/planning/creneau/{slot.pk}/{lea.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cantine — Léa")
    history = page.locator(".slot-history")
    expect(history.get_by_role("heading", level=2)).to_have_text("Historique du créneau")
    expect(history.get_by_role("listitem")).to_have_count(2)
    expect(history.get_by_role("listitem").first).to_contain_text("Demande envoyée")
    expect(history.get_by_role("listitem").first).to_contain_text("par : famille")
    expect(history.get_by_role("listitem").last).to_contain_text("Demande acceptée")
    axe(page, context="page du créneau")


def test_planning_at_320px_is_a_list_of_days(live_server, page, axe, family_world):
    _log_in(page, live_server, family_world["parent"])
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(live_server.url + "/famille/planning/?vue=mois&date=2026-12-03")
    lea, slot = family_world["lea"], family_world["slot"]
    link = slot_link(page, slot, lea)
    expect(link).to_be_visible()
    # The agenda of narrow screens (tests/e2e/test_planning_phone.py checks it in depth).
    expect(page.locator(".agenda__date", has_text="Jeudi 3 décembre")).to_be_visible()
    # Nothing wider than the screen: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    axe(page, context="planning à 320 px")
