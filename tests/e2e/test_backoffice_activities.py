"""An agent, in a browser: creates an activity (form pre-filled by kind), reads the slots
report, then marks attendance on today's register, with axe-core on every page."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from planning.models import Activity, Booking, BookingEvent, Slot
from tests.e2e.test_backoffice import login_as
from tests.planning.factories import BookingFactory, ChildFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Monday 23 November 2026, 10:00 in Paris: a school day.
NOW = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


def test_agent_creates_an_activity_and_marks_attendance(
    live_server, page, axe, collectivity_a, agent_a
):
    with time_machine.travel(NOW, tick=True):
        login_as(page, live_server, agent_a)

        page.goto(live_server.url + "/admin/enfance/activites/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Activités")
        axe(page)

        page.get_by_label("Type de la nouvelle activité").select_option("canteen")
        page.get_by_role("button", name="Ajouter une activité").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Nouvelle activité")
        axe(page)
        # Pre-filled for a canteen: term time, Monday, Tuesday, Thursday, Friday.
        expect(page.get_by_label("mercredi")).not_to_be_checked()
        expect(page.get_by_label("jeudi")).to_be_checked()
        page.get_by_label("Nom").fill("Cantine de l’école Jules-Ferry")
        page.get_by_label("Heure de fin").fill("11:00")  # before the start: refused
        page.get_by_role("button", name="Enregistrer et générer les créneaux").click()
        expect(page.get_by_text("L’heure de fin doit être après l’heure de début.")).to_be_visible()
        axe(page)
        assert not Activity.objects.exists()

        page.get_by_label("Heure de fin").fill("13:30")
        page.get_by_label("Capacité (places)").fill("2")
        page.get_by_role("button", name="Enregistrer et générer les créneaux").click()
        expect(
            page.get_by_text("L’activité « Cantine de l’école Jules-Ferry » est créée.")
        ).to_be_visible()
        activity = Activity.objects.get()
        created = Slot.objects.filter(activity=activity).count()
        expect(page.get_by_text(f"Créneaux : {created} créé(s)")).to_be_visible()
        expect(page.get_by_text("Vacances scolaires : Vacances de Noël").first).to_be_visible()
        axe(page)

        slot = Slot.objects.get(activity=activity, date=datetime.date(2026, 11, 23))
        zoe = ChildFactory(
            family__collectivity=collectivity_a, first_name="Zoé", last_name="Martin"
        )
        hugo = ChildFactory(
            family__collectivity=collectivity_a, first_name="Hugo", last_name="Petit"
        )
        for child in (zoe, hugo):
            BookingFactory(slot=slot, child=child, state=Booking.State.RESERVED)

        page.get_by_role("link", name="Voir l’occupation").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Occupation des créneaux")
        expect(page.get_by_text("Complet").first).to_be_visible()
        axe(page)

        page.goto(live_server.url + "/admin/enfance/pointage/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Pointage")
        axe(page)
        page.get_by_role("link", name="Pointer Cantine de l’école Jules-Ferry").click()
        expect(page.get_by_role("group", name="MARTIN Zoé")).to_be_visible()
        axe(page)
        page.get_by_role("group", name="MARTIN Zoé").get_by_text("Présent").click()
        page.get_by_role("group", name="PETIT Hugo").get_by_text("Absence excusée").click()
        page.get_by_role("button", name="Enregistrer le pointage").click()
        expect(page.get_by_text("Pointage enregistré : 2 changements.")).to_be_visible()
        expect(page.get_by_role("group", name="MARTIN Zoé").get_by_label("Présent")).to_be_checked()
        axe(page)

    states = dict(Booking.objects.values_list("child_id", "state"))
    assert states == {zoe.pk: Booking.State.PRESENT, hugo.pk: Booking.State.ABSENT}
    assert BookingEvent.objects.filter(actor=agent_a).count() == 2
