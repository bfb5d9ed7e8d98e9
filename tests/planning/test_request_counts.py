"""What a request counts, said the same everywhere (issue #16, item 6): 8 dates for 2
children read « 8 jours, 2 enfants (16 réservations) » for the parent (preview and request
page), in the acknowledgement e-mail and in the agents' queue and request page."""

import datetime
import re
from html import unescape
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import translation

import pytest
import time_machine

from notifications.models import OutboxEmail
from notifications.services import outbox_render
from planning.models import BookingRequest
from planning.selectors.requests import count_text
from tests.planning.factories import ActivityFactory, ChildFactory, EnrolmentFactory, SlotFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
# Mondays and Thursdays of four weeks: 8 dates.
DATES = [
    datetime.date(2026, 11, 30) + datetime.timedelta(days=7 * week + offset)
    for week in range(4)
    for offset in (0, 3)
]
EXPECTED = "8 jours, 2 enfants (16 réservations)"


@pytest.mark.parametrize(
    ("kind", "days", "children", "lines", "text"),
    [
        ("reservation", 8, 2, 16, "8 jours, 2 enfants (16 réservations)"),
        ("reservation", 1, 1, 1, "1 jour, 1 enfant (1 réservation)"),
        ("absence", 3, 1, 3, "3 jours, 1 enfant (3 absences)"),
        ("absence", 1, 2, 2, "1 jour, 2 enfants (2 absences)"),
    ],
)
def test_count_text_singulars_and_plurals(kind, days, children, lines, text):
    with translation.override("fr"):
        assert count_text(kind=kind, days=days, children=children, lines=lines) == text


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_parent_email_and_agent_say_the_same(collectivity_a, client_a, agent_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    parent = UserFactory(email="parent.counts@example.test")
    SubscriptionFactory(user=parent, family=family)
    activity = ActivityFactory(collectivity=collectivity_a, name="Cantine", weekdays=[0, 3])
    lea = ChildFactory(family=family, first_name="Léa")
    hugo = ChildFactory(family=family, first_name="Hugo")
    for child in (lea, hugo):
        EnrolmentFactory(child=child, activity=activity)
    for day in DATES:
        SlotFactory(activity=activity, date=day)
    client_a.force_login(parent)
    url = reverse("planning:request_period", args=["reservation"])
    data = {
        "famille": family.pk,
        "children": [lea.pk, hugo.pk],
        "activity": activity.pk,
        "date_from": DATES[0].isoformat(),
        "date_to": DATES[-1].isoformat(),
        "weekdays": ["0", "3"],
        "comment": "",
        "action": "preview",
    }
    with time_machine.travel(NOW, tick=False):
        preview = client_a.post(url, data).content.decode()
        assert f"Demandé : {EXPECTED}." in _text(preview)
        key = re.search(r'name="submission_key" value="([0-9a-f]+)"', preview).group(1)
        response = client_a.post(url, {**data, "action": "submit", "submission_key": key})
        detail = client_a.get(response["Location"]).content.decode()
    assert EXPECTED in _text(detail)
    # The web POST's acknowledgement is rendered by the task cluster, as it does here.
    email = outbox_render(OutboxEmail.objects.get(to=["parent.counts@example.test"]))
    assert f"Demandé : {EXPECTED}" in email.body_text
    assert EXPECTED in _text(email.body_html)

    client_a.force_login(agent_a)
    queue = client_a.get(reverse("planning_admin:requests")).content.decode()
    assert EXPECTED in _text(queue)
    booking_request = BookingRequest.objects.get()
    page = client_a.get(reverse("planning_admin:request_detail", args=[booking_request.pk]))
    assert EXPECTED in _text(page.content.decode())
