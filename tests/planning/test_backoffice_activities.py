"""Agents' back office of activities: CRUD with slot generation, closures and orphans,
occupancy, attendance registers (screen and PDF); scoped to the agent's collectivity."""

import datetime
import html
import re
import zlib

from django.urls import reverse

import pytest
import time_machine

from family.models import HealthRecord
from planning.admin.activities import register_html
from planning.models import Activity, ActivityClosure, Booking, BookingEvent, Slot
from planning.services import slots_generate
from portal.models import Membership
from portal.services import membership_grant
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date
State = Booking.State
# Monday 23 November 2026, 10:00 in Paris.
NOW = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent_client(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


@pytest.fixture
def activity_b(collectivity_b):
    activity = ActivityFactory(collectivity=collectivity_b, name="Cantine Bêta")
    slots_generate(activity=activity)
    return activity


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def pdf_texts(pdf: bytes) -> set[str]:
    """The text runs of a WeasyPrint PDF, decoded through its ToUnicode maps (no PDF library
    on the machine)."""
    streams = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            streams.append(zlib.decompress(match.group(1)))
        except zlib.error:
            streams.append(match.group(1))
    cmaps = []
    for data in streams:
        if b"begincmap" not in data:
            continue
        mapping = {}
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        cmaps.append(mapping)
    texts = set()
    for data in streams:
        for array in re.findall(rb"\[(.*?)\]\s*TJ", data, re.S):
            codes = [
                int(chunk[i : i + 4], 16)
                for chunk in re.findall(rb"<([0-9a-fA-F]+)>", array)
                for i in range(0, len(chunk), 4)
            ]
            for mapping in cmaps:
                if codes and all(code in mapping for code in codes):
                    texts.add("".join(mapping[code] for code in codes))
    return texts


def activity_post(**overrides):
    data = {
        "name": "Cantine Jules-Ferry",
        "kind": "canteen",
        "place": "École Jules-Ferry",
        "description": "",
        "color": "#1f5f99",
        "age_min": "3",
        "age_max": "11",
        "is_active": "on",
        "start_date": "2026-09-01",
        "end_date": "2027-07-03",
        "weekdays": ["0", "1", "3", "4"],
        "opening": "term_time",
        "start_time": "11:30",
        "end_time": "13:30",
        "capacity": "30",
        "booking_notice_days": "2",
        "cancellation_notice_days": "2",
        "notice_deadline_time": "23:59",
        "booking_horizon_days": "365",
        "requires_approval": "on",
        "late_absence_billed": "on",
        "unit_price": "3,50",
        "waiting_list_mode": "automatic",
        "offer_hours": "24",
    }
    data.update(overrides)
    return data


def test_agent_creates_edits_and_deletes_an_activity(agent_client, collectivity_a):
    response = agent_client.get(reverse("planning_admin:activities"))
    assert response.status_code == 200
    assert "Aucune activité n’est encore créée." in page_text(response)

    # The form is pre-filled by kind: a holiday centre opens in the school holidays.
    response = agent_client.get(reverse("planning_admin:activity_add") + "?type=holiday_centre")
    assert response.status_code == 200
    assert response.context["form"].initial["opening"] == Activity.Opening.SCHOOL_HOLIDAYS
    response = agent_client.get(reverse("planning_admin:activity_add") + "?type=wednesday")
    assert response.context["form"].initial["opening"] == Activity.Opening.TERM_TIME
    assert response.context["form"].initial["weekdays"] == [2]

    response = agent_client.post(reverse("planning_admin:activity_add"), activity_post())
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("planning_admin:activity_detail", args=[activity.pk])
    assert activity.collectivity == collectivity_a
    assert activity.weekdays == [0, 1, 3, 4]
    assert str(activity.unit_price) == "3.50"
    slot_count = Slot.objects.filter(activity=activity).count()
    assert slot_count > 90
    page = page_text(agent_client.get(response["Location"]))
    assert "L’activité « Cantine Jules-Ferry » est créée." in page
    assert f"Créneaux : {slot_count} créé(s), 0 mis à jour, 0 supprimé(s)." in page
    assert "Vacances scolaires : Vacances de Noël" in page  # upcoming closures listed

    listing = page_text(agent_client.get(reverse("planning_admin:activities")))
    assert "Cantine Jules-Ferry" in listing and "lundi, mardi, jeudi, vendredi" in listing

    response = agent_client.post(
        reverse("planning_admin:activity_edit", args=[activity.pk]),
        activity_post(capacity="25", start_time="11:45"),
    )
    assert response.status_code == 302
    page = page_text(agent_client.get(response["Location"]))
    assert f"0 créé(s), {slot_count} mis à jour" in page
    assert set(Slot.objects.values_list("capacity", flat=True)) == {25}

    response = agent_client.post(reverse("planning_admin:activity_delete", args=[activity.pk]))
    assert response.status_code == 302
    assert not Activity.objects.exists() and not Slot.objects.exists()


def test_activity_in_use_cannot_be_deleted(agent_client, collectivity_a):
    activity = ActivityFactory(collectivity=collectivity_a)
    EnrolmentFactory(activity=activity, child=ChildFactory(family__collectivity=collectivity_a))
    url = reverse("planning_admin:activity_delete", args=[activity.pk])
    assert "ne peut pas être supprimée" in page_text(agent_client.get(url))
    assert agent_client.post(url).status_code == 409
    assert Activity.objects.filter(pk=activity.pk).exists()


def test_form_errors_are_french_and_nothing_is_saved(agent_client):
    response = agent_client.post(
        reverse("planning_admin:activity_add"),
        activity_post(
            start_date="2027-01-10",
            end_date="2026-12-01",
            start_time="14:00",
            end_time="13:00",
            age_min="10",
            age_max="6",
            weekdays=[],
            capacity="0",
            unit_price="trois",
            name="",
        ),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["end_date"] == ["Le dernier jour doit être postérieur ou égal au premier jour."]
    assert errors["end_time"] == ["L’heure de fin doit être après l’heure de début."]
    assert errors["age_max"] == ["L’âge maximum doit être supérieur ou égal à l’âge minimum."]
    assert errors["weekdays"] == ["Cochez au moins un jour d’ouverture."]
    assert errors["name"] == ["Ce champ est obligatoire."]
    assert errors["unit_price"] == ["Saisissez un montant (par exemple 3,50)."]
    assert "capacity" in errors
    page = page_text(response)
    assert "Le formulaire contient des erreurs" in page
    assert 'aria-invalid="true"' in page
    assert not Activity.objects.exists() and not Slot.objects.exists()


def test_closure_add_remove_and_orphans_listed_with_children(agent_client, collectivity_a):
    activity = ActivityFactory(collectivity=collectivity_a)
    slots_generate(activity=activity)
    slot = Slot.objects.get(activity=activity, date=D(2026, 12, 3))
    child = ChildFactory(family__collectivity=collectivity_a, first_name="Léa")
    BookingFactory(child=child, slot=slot, state=State.RESERVED)
    detail = reverse("planning_admin:activity_detail", args=[activity.pk])

    add = reverse("planning_admin:closure_add", args=[activity.pk])
    response = agent_client.post(add, {"date": "2026-12-03", "reason": "Journée pédagogique"})
    assert response.status_code == 302
    page = page_text(agent_client.get(detail))
    assert "1 créneau hors calendrier est conservé" in page
    assert "Léa" in page and child.family.name in page
    assert "Journée pédagogique" in page
    slot.refresh_from_db()
    assert slot.is_orphan

    # Bad input: out of the period, twice the same day, no date.
    for data, message in (
        ({"date": "2027-08-01"}, "Choisissez une date comprise dans la période"),
        ({"date": "2026-12-03"}, "Cette date est déjà un jour sans activité."),
        ({"date": ""}, "Ce champ est obligatoire."),
    ):
        response = agent_client.post(add, data)
        assert response.status_code == 400
        assert message in page_text(response)
    assert ActivityClosure.objects.count() == 1

    closure = ActivityClosure.objects.get()
    remove = reverse("planning_admin:closure_delete", args=[activity.pk, closure.pk])
    assert agent_client.get(remove).status_code == 200
    assert agent_client.post(remove).status_code == 302
    slot.refresh_from_db()
    assert not slot.is_orphan
    assert "Aucun créneau hors calendrier." in page_text(agent_client.get(detail))


def test_other_collectivitys_activity_answers_404(agent_client, activity_b, collectivity_a):
    slot_b = Slot.objects.filter(activity=activity_b).first()
    closure_b = ActivityClosure.objects.create(activity=activity_b, date=D(2026, 12, 7))
    gets = [
        reverse("planning_admin:activity_detail", args=[activity_b.pk]),
        reverse("planning_admin:activity_edit", args=[activity_b.pk]),
        reverse("planning_admin:activity_delete", args=[activity_b.pk]),
        reverse("planning_admin:closure_delete", args=[activity_b.pk, closure_b.pk]),
        reverse("planning_admin:register", args=[slot_b.pk]),
        reverse("planning_admin:register_pdf", args=[slot_b.pk]),
    ]
    for url in gets:
        assert agent_client.get(url).status_code == 404, url
    posts = [
        (reverse("planning_admin:activity_edit", args=[activity_b.pk]), activity_post()),
        (reverse("planning_admin:activity_delete", args=[activity_b.pk]), {}),
        (reverse("planning_admin:activity_generate", args=[activity_b.pk]), {}),
        (reverse("planning_admin:closure_add", args=[activity_b.pk]), {"date": "2026-12-08"}),
        (reverse("planning_admin:closure_delete", args=[activity_b.pk, closure_b.pk]), {}),
        (reverse("planning_admin:register", args=[slot_b.pk]), {}),
    ]
    for url, data in posts:
        assert agent_client.post(url, data).status_code == 404, url
    activity_b.refresh_from_db()
    assert activity_b.name == "Cantine Bêta"
    assert ActivityClosure.objects.filter(pk=closure_b.pk).exists()
    # Lists never show B's rows, and B's activity is not a valid filter.
    assert "Cantine Bêta" not in page_text(agent_client.get(reverse("planning_admin:activities")))
    response = agent_client.get(reverse("planning_admin:occupancy"), {"activite": activity_b.pk})
    assert response.status_code == 400 and "Cantine Bêta" not in page_text(response)
    response = agent_client.get(reverse("planning_admin:attendance"), {"jour": "2026-11-23"})
    assert "Cantine Bêta" not in page_text(response)


def test_editor_and_parent_are_refused(client_a, editor_a, collectivity_a):
    activity = ActivityFactory(collectivity=collectivity_a)
    slot = SlotFactory(activity=activity, date=D(2026, 11, 23))
    urls = [
        reverse("planning_admin:activities"),
        reverse("planning_admin:activity_add"),
        reverse("planning_admin:activity_detail", args=[activity.pk]),
        reverse("planning_admin:occupancy"),
        reverse("planning_admin:attendance"),
        reverse("planning_admin:register", args=[slot.pk]),
        reverse("planning_admin:register_pdf", args=[slot.pk]),
    ]
    client_a.force_login(editor_a)
    for url in urls:
        response = client_a.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/", url
    assert client_a.post(reverse("planning_admin:activity_add"), activity_post()).status_code == 302
    client_a.force_login(UserFactory())
    for url in urls:
        assert client_a.get(url).status_code == 403, url
    assert client_a.post(reverse("planning_admin:activity_add"), activity_post()).status_code == 403
    assert Activity.objects.count() == 1


def make_occupancy(activity, day, counts):
    slot = SlotFactory(activity=activity, date=day)
    for state, count in counts.items():
        for _ in range(count):
            BookingFactory(
                slot=slot,
                state=state,
                child=ChildFactory(family__collectivity=activity.collectivity),
            )
    return slot


def test_occupancy_numbers(agent_client, collectivity_a, activity_b):
    activity = ActivityFactory(collectivity=collectivity_a, name="Cantine Alpha", capacity=5)
    slot = make_occupancy(
        activity,
        D(2026, 11, 24),
        {
            State.RESERVED: 2,
            State.PRESENT: 1,
            State.OFFERED: 1,
            State.WAITING: 3,
            State.PENDING: 2,
            State.CANCELLED: 4,
            State.ABSENT: 1,
        },
    )
    make_occupancy(activity, D(2026, 11, 26), {State.RESERVED: 5})
    make_occupancy(activity, D(2026, 12, 10), {State.RESERVED: 1})  # out of this week
    response = agent_client.get(reverse("planning_admin:occupancy"))
    assert response.status_code == 200
    rows = {row.date: row for _day, day_rows in response.context["days"] for row in day_rows}
    assert set(rows) == {D(2026, 11, 24), D(2026, 11, 26)}  # this week, Monday to Sunday
    row = rows[D(2026, 11, 24)]
    assert (row.booked, row.capacity, row.waiting, row.pending) == (4, 5, 3, 2)
    page = page_text(response)
    assert "1 place libre" in page and "Complet" in page
    assert reverse("planning_admin:register", args=[slot.pk]) in page
    assert "Cantine Bêta" not in page

    response = agent_client.get(
        reverse("planning_admin:occupancy"),
        {"activite": activity.pk, "du": "2026-12-01", "au": "2026-12-31"},
    )
    assert [day for day, _rows in response.context["days"]] == [D(2026, 12, 10)]

    response = agent_client.get(
        reverse("planning_admin:occupancy"), {"du": "2026-12-31", "au": "2026-12-01"}
    )
    assert response.status_code == 400
    assert "La date de fin doit être postérieure ou égale à la date de début." in (
        page_text(response)
    )


def test_occupancy_query_count_does_not_grow(
    agent_client, collectivity_a, django_assert_max_num_queries
):
    activity = ActivityFactory(collectivity=collectivity_a)
    make_occupancy(activity, D(2026, 11, 24), {State.RESERVED: 1})
    with django_assert_max_num_queries(20) as small:
        agent_client.get(reverse("planning_admin:occupancy"))
    for day in range(25, 30):
        make_occupancy(
            ActivityFactory(collectivity=collectivity_a),
            D(2026, 11, day),
            {State.RESERVED: 3, State.WAITING: 2},
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = agent_client.get(reverse("planning_admin:occupancy"))
    assert sum(len(rows) for _day, rows in response.context["days"]) == 6


def test_register_marks_attendance_without_health_data(agent_client, agent_a, collectivity_a):
    activity = ActivityFactory(collectivity=collectivity_a, name="Cantine Alpha")
    slot = SlotFactory(activity=activity, date=D(2026, 11, 23))
    zoe = ChildFactory(
        family__collectivity=collectivity_a,
        first_name="Zoé",
        last_name="Martin",
        school_class="CE1",
    )
    hugo = ChildFactory(family__collectivity=collectivity_a, first_name="Hugo", last_name="Petit")
    waiting = ChildFactory(family__collectivity=collectivity_a, first_name="Inès")
    BookingFactory(slot=slot, child=zoe, state=State.RESERVED)
    BookingFactory(slot=slot, child=hugo, state=State.RESERVED)
    BookingFactory(slot=slot, child=waiting, state=State.WAITING)

    day_page = agent_client.get(reverse("planning_admin:attendance"))
    assert day_page.status_code == 200
    assert [s.pk for s in day_page.context["slots"]] == [slot.pk]
    assert day_page.context["slots"][0].expected == 2

    url = reverse("planning_admin:register", args=[slot.pk])
    page = page_text(agent_client.get(url))
    assert "MARTIN Zoé" in page and "PETIT Hugo" in page and "Inès" not in page
    assert "Allerg" not in page and "PAI" not in page
    assert f'name="presence-{zoe.pk}"' in page

    response = agent_client.post(
        url, {f"presence-{zoe.pk}": "present", f"presence-{hugo.pk}": "excused"}
    )
    assert response.status_code == 302
    states = dict(Booking.objects.filter(slot=slot).values_list("child_id", "state"))
    assert states == {zoe.pk: State.PRESENT, hugo.pk: State.ABSENT, waiting.pk: State.WAITING}
    assert BookingEvent.objects.filter(actor=agent_a).count() == 2
    page = page_text(agent_client.get(url))
    assert "Pointage enregistré : 2 changements." in page
    assert f'id="presence-{hugo.pk}-excused" value="excused" checked' in page

    # A child without a place: refused, nothing changed, the agent reads why.
    response = agent_client.post(url, {f"presence-{waiting.pk}": "present"})
    assert response.status_code == 400
    assert "n’ont pas de place sur ce créneau" in page_text(response)
    assert Booking.objects.get(child=waiting).state == State.WAITING


def test_register_of_a_future_slot_is_refused(agent_client, collectivity_a):
    slot = SlotFactory(activity=ActivityFactory(collectivity=collectivity_a), date=D(2026, 11, 25))
    child = ChildFactory(family__collectivity=collectivity_a)
    BookingFactory(slot=slot, child=child, state=State.RESERVED)
    url = reverse("planning_admin:register", args=[slot.pk])
    page = page_text(agent_client.get(url))
    assert "Le pointage n’est possible qu’à partir du jour de l’activité." in page
    assert "Enregistrer le pointage" not in page
    response = agent_client.post(url, {f"presence-{child.pk}": "present"})
    assert response.status_code == 400
    assert Booking.objects.get().state == State.RESERVED


def test_register_pdf_has_the_childrens_names(agent_client, collectivity_a):
    slot = SlotFactory(
        activity=ActivityFactory(collectivity=collectivity_a, name="Cantine Alpha"),
        date=D(2026, 11, 23),
    )
    child = ChildFactory(
        family__collectivity=collectivity_a,
        first_name="Zoé",
        last_name="Martin",
        school_class="CE1",
    )
    BookingFactory(slot=slot, child=child, state=State.RESERVED)
    response = agent_client.get(reverse("planning_admin:register_pdf", args=[slot.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "pointage-cantine-alpha-2026-11-23.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    texts = pdf_texts(response.content)
    assert {"MARTIN", "Zoé", "CE1"} <= texts
    assert "private" in response["Cache-Control"]


def test_register_never_shows_health_data(client_a, collectivity_a):
    # Even an agent allowed to read health data sees none on the register (need-to-know).
    health_agent = UserFactory(email="sante@example.test")
    membership_grant(user=health_agent, collectivity=collectivity_a, role=Membership.Role.AGENT)
    membership_grant(user=health_agent, collectivity=collectivity_a, role=Membership.Role.HEALTH)
    slot = SlotFactory(activity=ActivityFactory(collectivity=collectivity_a), date=D(2026, 11, 23))
    child = ChildFactory(family__collectivity=collectivity_a, first_name="Zoé")
    HealthRecord.objects.create(
        child=child, allergies="Arachide", has_pai=True, pai_details="Stylo adrénaline"
    )
    BookingFactory(slot=slot, child=child)
    client_a.force_login(health_agent)
    page = page_text(client_a.get(reverse("planning_admin:register", args=[slot.pk])))
    assert "Zoé" in page
    assert "Arachide" not in page and "adrénaline" not in page
    html_text = register_html(slot)
    assert "Zoé" in html_text and "Arachide" not in html_text


def test_register_flags_pai_and_allergy_without_the_details(agent_client, collectivity_a):
    # Whoever takes the register must know that a child has a PAI or an allergy (issue #16,
    # item 12); the details stay behind the health role.
    slot = SlotFactory(activity=ActivityFactory(collectivity=collectivity_a), date=D(2026, 11, 23))
    zoe = ChildFactory(family__collectivity=collectivity_a, first_name="Zoé", last_name="Aubert")
    hugo = ChildFactory(family__collectivity=collectivity_a, first_name="Hugo", last_name="Bernard")
    lina = ChildFactory(family__collectivity=collectivity_a, first_name="Lina", last_name="Caron")
    HealthRecord.objects.create(
        child=zoe, allergies="Arachide", has_pai=True, pai_details="Stylo adrénaline"
    )
    HealthRecord.objects.create(child=hugo, allergies="", has_pai=False)
    for child in (zoe, hugo, lina):
        BookingFactory(slot=slot, child=child, state=State.RESERVED)

    page = agent_client.get(reverse("planning_admin:register", args=[slot.pk])).content.decode()
    legends = dict(re.findall(r"<legend>([A-Z]+) [^<]*(.*?)</legend>", page, re.S))
    assert "PAI" in legends["AUBERT"] and "Allergie" in legends["AUBERT"]
    assert "register-flag" not in legends["BERNARD"] and "register-flag" not in legends["CARON"]
    assert "Arachide" not in page and "adrénaline" not in page

    pdf = agent_client.get(reverse("planning_admin:register_pdf", args=[slot.pk])).content
    texts = pdf_texts(pdf)
    assert {"PAI", "Allergie"} <= texts
    assert not any("Arachide" in text for text in texts)


def test_register_rows_are_one_query(django_assert_num_queries, collectivity_a):
    from planning.services.attendance import register_bookings

    slot = SlotFactory(activity=ActivityFactory(collectivity=collectivity_a), date=D(2026, 11, 23))
    for index in range(5):
        child = ChildFactory(family__collectivity=collectivity_a)
        HealthRecord.objects.create(child=child, allergies="Lait" if index % 2 else "")
        BookingFactory(slot=slot, child=child)
    with django_assert_num_queries(1):
        rows = list(register_bookings(slot))
    assert sum(row.flag_allergy for row in rows) == 2
