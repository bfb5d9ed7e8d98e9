"""Reservation and absence requests in a browser, axe-core on every page visited:
(a) a one-day reservation from the planning; (b) an absence on a reserved day; (c) a period
request for two children with the preview of the excluded days; (d) cancelling a pending
request from the « Liste »; (e) an agent's bulk acceptance, seen by the parent."""

import datetime

from django.conf import settings
from django.test import Client
from django.utils import timezone

import holidays
import pytest
from playwright.sync_api import expect

from planning.models import Activity, Booking, BookingRequest
from planning.services import request_submit
from tests.e2e.helpers import slot_link
from tests.e2e.test_backoffice import login_as
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


def _monday_ahead(weeks: int = 2) -> datetime.date:
    """A Monday at least ``weeks`` weeks ahead whose week has no public holiday."""
    day = timezone.localdate() + datetime.timedelta(weeks=weeks)
    day += datetime.timedelta(days=(7 - day.weekday()) % 7)
    french = holidays.France(years=[day.year, day.year + 1])
    while any(day + datetime.timedelta(days=n) in french for n in range(7)):
        day += datetime.timedelta(days=7)
    return day


@pytest.fixture
def family_setup(collectivity_a):
    monday = _monday_ahead()
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    parent = UserFactory(email="parent.requests@example.test")
    SubscriptionFactory(user=parent, family=family)
    lea = ChildFactory(family=family, first_name="Léa", last_name="Dupont")
    hugo = ChildFactory(family=family, first_name="Hugo", last_name="Dupont")
    activity = ActivityFactory(
        collectivity=collectivity_a,
        name="Accueil du soir",
        kind=Activity.Kind.EVENING_CARE,
        opening=Activity.Opening.ALL_YEAR,
        weekdays=[0, 1, 2, 3, 4],
        start_date=monday - datetime.timedelta(days=30),
        end_date=monday + datetime.timedelta(days=60),
        start_time=datetime.time(16, 30),
        end_time=datetime.time(18, 30),
        requires_approval=True,
    )
    slots = [
        SlotFactory(activity=activity, date=monday + datetime.timedelta(days=n))
        for n in range(12)
        if (monday + datetime.timedelta(days=n)).weekday() < 5
    ]
    for child in (lea, hugo):
        EnrolmentFactory(
            child=child,
            activity=activity,
            start_date=activity.start_date,
            end_date=activity.end_date,
        )
    return {
        "family": family,
        "parent": parent,
        "lea": lea,
        "hugo": hugo,
        "activity": activity,
        "slots": slots,
        "monday": monday,
    }


def _week_url(live_server, day):
    return f"{live_server.url}/famille/planning/?vue=semaine&date={day.isoformat()}"


def test_one_day_reservation_from_the_planning(live_server, page, axe, family_setup):
    slot, lea = family_setup["slots"][0], family_setup["lea"]
    _log_in(page, live_server, family_setup["parent"])
    page.goto(_week_url(live_server, slot.date))
    expect(page.get_by_role("heading", level=1)).to_have_text("Planning des activités")
    axe(page, context="planning")

    # With JavaScript the slot's page opens in a dialog (requests.js).
    slot_link(page, slot, lea).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", level=2).first).to_contain_text("Léa")
    expect(dialog.get_by_text("La demande sera soumise à validation")).to_be_visible()
    axe(page, context="dialogue du créneau")

    page.get_by_role("button", name="Confirmer la demande").click()
    expect(page.get_by_text("Votre demande de réservation pour Léa")).to_be_visible()
    cell = slot_link(page, slot, lea)
    expect(cell).to_contain_text("Demande en attente de validation")
    axe(page, context="planning après la demande")
    assert Booking.objects.get(child=lea, slot=slot).state == Booking.State.PENDING

    # The same day through the confirmation page (the dialog without JavaScript).
    page.goto(f"{live_server.url}/famille/planning/demande/{slot.pk}/{lea.pk}/reservation/")
    expect(page.get_by_text("Demande déjà en cours")).to_be_visible()
    expect(page.get_by_role("button", name="Confirmer la demande")).to_have_count(0)
    axe(page, context="confirmation impossible")


def test_absence_on_a_reserved_day(live_server, page, axe, family_setup):
    activity = family_setup["activity"]
    activity.requires_approval = False
    activity.save()
    slot, hugo = family_setup["slots"][1], family_setup["hugo"]
    BookingFactory(child=hugo, slot=slot, state=Booking.State.RESERVED)
    _log_in(page, live_server, family_setup["parent"])
    page.goto(_week_url(live_server, slot.date))
    cell = slot_link(page, slot, hugo)
    expect(cell).to_contain_text("Réservé / présent")
    cell.click()
    expect(page.get_by_text("L’absence ne sera pas facturée.")).to_be_visible()
    axe(page, context="créneau réservé")

    page.get_by_role("button", name="Confirmer la demande").click()
    expect(page.get_by_text("Absence enregistrée pour Hugo")).to_be_visible()
    expect(cell).to_contain_text("Absent")
    axe(page, context="planning après l’absence")
    assert Booking.objects.get(child=hugo, slot=slot).state == Booking.State.ABSENT


def test_period_request_for_two_children(live_server, page, axe, family_setup):
    monday = family_setup["monday"]
    slots = family_setup["slots"]
    # Léa already holds Tuesday: that day is excluded for her, with its reason.
    tuesday = slots[1]
    BookingFactory(child=family_setup["lea"], slot=tuesday, state=Booking.State.RESERVED)
    _log_in(page, live_server, family_setup["parent"])
    page.goto(f"{live_server.url}/famille/planning/demande/reservation/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Demande de réservation sur une période"
    )
    axe(page, context="formulaire période")

    # A wrong period first: French error, nothing created.
    page.get_by_label("Activité").select_option(label="Accueil du soir")
    page.get_by_label("Du", exact=True).fill((monday + datetime.timedelta(days=8)).isoformat())
    page.get_by_label("Au", exact=True).fill(monday.isoformat())
    page.get_by_role("button", name="Voir les jours concernés").click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient")
    expect(
        page.get_by_text("La date de fin doit être postérieure ou égale à la date de début.").first
    ).to_be_visible()
    axe(page, context="formulaire avec erreurs")
    assert not BookingRequest.objects.exists()

    page.get_by_label("Du", exact=True).fill(monday.isoformat())
    page.get_by_label("Au", exact=True).fill((monday + datetime.timedelta(days=8)).isoformat())
    page.get_by_label("Léa").check()
    page.get_by_label("Hugo").check()
    for label in ("lundi", "mardi", "jeudi"):
        page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Voir les jours concernés").click()
    expect(page.get_by_role("heading", name="Jours concernés")).to_be_visible()
    excluded = page.get_by_role("table", name="Jours non retenus pour Léa")
    expect(excluded).to_contain_text("Déjà réservé")
    expect(page.get_by_role("table", name="Jours demandés pour Hugo")).to_contain_text(
        "Soumise à validation"
    )
    axe(page, context="aperçu de la période")
    assert not BookingRequest.objects.exists()

    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_text("Votre demande est envoyée.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demande de réservation")
    axe(page, context="détail de la demande")
    request = BookingRequest.objects.get()
    # Monday, Tuesday, Thursday of week 1 and Monday, Tuesday of week 2 (8 days after Monday):
    # 5 days for Hugo, 4 for Léa (Tuesday already reserved).
    assert request.lines.count() == 9
    assert request.weekdays == [0, 1, 3]


def test_cancel_a_pending_request_from_the_list(live_server, page, axe, family_setup):
    slot = family_setup["slots"][2]
    request = request_submit(
        family=family_setup["family"],
        user=family_setup["parent"],
        kind="reservation",
        activity=family_setup["activity"],
        children=[family_setup["lea"]],
        date_from=slot.date,
        date_to=slot.date,
        weekdays=[slot.date.weekday()],
    )
    _log_in(page, live_server, family_setup["parent"])
    page.goto(_week_url(live_server, slot.date))
    page.get_by_role("navigation", name="Planning / Liste").get_by_role(
        "link", name="Liste"
    ).click()
    expect(page.get_by_role("table")).to_contain_text("En attente de validation")
    axe(page, context="liste des demandes")

    page.get_by_role("link", name="voir le détail de la demande").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demande de réservation")
    axe(page, context="détail")
    page.get_by_role("link", name="Annuler la demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuler la demande")
    axe(page, context="confirmation d’annulation")
    page.get_by_role("button", name="Confirmer l’annulation").click()
    expect(page.get_by_text("Votre demande est annulée.")).to_be_visible()
    expect(page.locator(".request-facts")).to_contain_text("Annulée")
    axe(page, context="demande annulée")
    request.refresh_from_db()
    assert request.status == BookingRequest.Status.CANCELLED


def test_agent_bulk_acceptance_seen_by_the_parent(
    live_server, page, browser, axe, family_setup, agent_a
):
    slots = family_setup["slots"]
    for child, slot in ((family_setup["lea"], slots[3]), (family_setup["hugo"], slots[4])):
        request_submit(
            family=family_setup["family"],
            user=family_setup["parent"],
            kind="reservation",
            activity=family_setup["activity"],
            children=[child],
            date_from=slot.date,
            date_to=slot.date,
            weekdays=[slot.date.weekday()],
        )
    context = browser.new_context(locale="fr-FR")
    agent_page = context.new_page()
    login_as(agent_page, live_server, agent_a)
    agent_page.goto(live_server.url + "/admin/enfance/demandes/")
    expect(agent_page.get_by_role("heading", level=1)).to_contain_text("Demandes de réservation")
    axe(agent_page, context="file des demandes", include="main")
    for checkbox in agent_page.get_by_role("checkbox", name="Sélectionner la demande Dupont").all():
        checkbox.check()
    agent_page.get_by_role("button", name="Accepter la sélection").click()
    expect(agent_page.get_by_text("2 demandes acceptées.")).to_be_visible()
    expect(
        agent_page.get_by_text("Aucune demande de réservation ou d’absence en attente.")
    ).to_be_visible()
    axe(agent_page, context="file après acceptation", include="main")
    context.close()

    _log_in(page, live_server, family_setup["parent"])
    page.goto(live_server.url + "/famille/planning/liste/")
    table = page.get_by_role("table")
    expect(table.get_by_text("Acceptée")).to_have_count(2)
    axe(page, context="liste après acceptation")
    assert set(BookingRequest.objects.values_list("status", flat=True)) == {"accepted"}


def test_slot_dialog_enhancement(live_server, page, axe, family_setup):
    """static/js/requests.js (loaded by the planning page): a slot link opens the slot's page
    in a native dialog (focus inside, Escape closes, focus back on the link); the plain link
    works without it."""
    slot, lea = family_setup["slots"][0], family_setup["lea"]
    _log_in(page, live_server, family_setup["parent"])
    page.goto(_week_url(live_server, slot.date))
    link = slot_link(page, slot, lea)
    link.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", level=2).first).to_contain_text("Léa")
    expect(dialog.get_by_role("button", name="Confirmer la demande")).to_be_visible()
    focused = page.evaluate("document.activeElement.id")
    assert focused == "request-dialog-title"
    axe(page, context="dialogue du créneau")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('slot__link')")

    link.click()
    page.get_by_role("dialog").get_by_role("button", name="Confirmer la demande").click()
    expect(page.get_by_text("Votre demande de réservation pour Léa")).to_be_visible()
    assert Booking.objects.get(child=lea, slot=slot).state == Booking.State.PENDING
