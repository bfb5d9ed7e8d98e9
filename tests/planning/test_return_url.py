"""Back to the planning as the parent left it (issue #16, item 3): the view, the date and the
filters travel through the slot page, the one-day request (dialog or page) and the period
form as a checked ``retour``; anything else than the planning of this host is ignored."""

import datetime
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from django.urls import reverse

import pytest
import time_machine

from planning.models import BookingRequest
from planning.views.returns import planning_return_url
from tests.planning.factories import ActivityFactory, ChildFactory, EnrolmentFactory, SlotFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
DAY = datetime.date(2026, 12, 3)
INDEX = "/famille/planning/"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def setup(collectivity_a, client_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    parent = UserFactory()
    SubscriptionFactory(user=parent, family=family)
    activity = ActivityFactory(collectivity=collectivity_a, name="Cantine")
    lea = ChildFactory(family=family, first_name="Léa")
    hugo = ChildFactory(family=family, first_name="Hugo")
    EnrolmentFactory(child=lea, activity=activity)
    EnrolmentFactory(child=hugo, activity=activity)
    slot = SlotFactory(activity=activity, date=DAY)
    client_a.force_login(parent)
    return client_a, activity, lea, hugo, slot


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example/famille/planning/?vue=mois",
        "//evil.example/famille/planning/",
        "/\\evil.example/famille/planning/",
        "http:/famille/planning/",
        "/admin/",
        "/famille/planning/liste/",
        "javascript:alert(1)",
        "",
        None,
        "/famille/planning/" + "x" * 3000,
    ],
)
def test_only_the_planning_of_this_host_is_accepted(value):
    assert planning_return_url(value) is None


def test_the_planning_address_is_rebuilt_from_checked_parameters():
    assert planning_return_url(INDEX) == INDEX
    given = INDEX + "?vue=mois&date=2026-12-01&filtre=1&enfant=4&activite=7&next=//evil&vue=x"
    assert planning_return_url(given) == (
        INDEX + "?vue=mois&date=2026-12-01&filtre=1&enfant=4&activite=7"
    )
    assert planning_return_url(INDEX + "?date=2026-13-45&enfant=1%0d%0a") == INDEX


def _hidden_return(html: str) -> str:
    match = re.search(r'name="retour" value="([^"]*)"', html)
    assert match, "no « retour » in the form"
    return unescape(match.group(1))


def test_one_day_request_comes_back_to_the_month_with_the_child_hidden(setup):
    client, activity, lea, hugo, slot = setup
    planning = client.get(
        INDEX,
        {
            "vue": "mois",
            "date": "2026-12-10",
            "filtre": "1",
            "enfant": hugo.pk,
            "activite": activity.pk,
        },
    )
    html = planning.content.decode()
    links = re.findall(r'class="slot__link" href="([^"]+)"', html)
    link = unescape(next(href for href in links if f"/{slot.pk}/{hugo.pk}/" in href))
    kept = parse_qs(urlsplit(link).query)["retour"][0]
    assert parse_qs(urlsplit(kept).query) == {
        "vue": ["mois"],
        "date": ["2026-12-10"],
        "filtre": ["1"],
        "enfant": [str(hugo.pk)],
        "activite": [str(activity.pk)],
    }
    # The request buttons carry it too.
    assert html.count("retour=") >= len(links) + 2

    page = client.get(link).content.decode()
    assert _hidden_return(page) == kept
    assert f'href="{kept.replace("&", "&amp;")}"' in page  # « Retour au planning »
    key = re.search(r'name="submission_key" value="([0-9a-f]+)"', page).group(1)
    response = client.post(
        reverse("planning:request_day", args=[slot.pk, hugo.pk, "reservation"]),
        {"submission_key": key, "retour": kept},
    )
    assert response.status_code == 302
    assert response["Location"] == kept


def test_a_foreign_return_falls_back_to_the_slot_week(setup):
    client, activity, lea, hugo, slot = setup
    url = reverse("planning:request_day", args=[slot.pk, lea.pk, "reservation"])
    page = client.get(url, {"retour": "https://evil.example/famille/planning/"}).content.decode()
    assert 'name="retour"' not in page and "evil.example" not in page
    key = re.search(r'name="submission_key" value="([0-9a-f]+)"', page).group(1)
    response = client.post(
        url, {"submission_key": key, "retour": "https://evil.example/famille/planning/"}
    )
    assert response["Location"] == INDEX + "?vue=semaine&date=2026-12-03"


def test_period_request_keeps_the_planning_for_the_way_back(setup):
    client, activity, lea, hugo, slot = setup
    kept = f"{INDEX}?vue=semaine5&date=2026-12-03&filtre=1&enfant={lea.pk}&activite={activity.pk}"
    url = reverse("planning:request_period", args=["reservation"])
    form = client.get(url, {"retour": kept}).content.decode()
    assert _hidden_return(form) == kept
    data = {
        "famille": lea.family.pk,
        "children": [lea.pk],
        "activity": activity.pk,
        "date_from": "2026-11-30",
        "date_to": "2026-12-06",
        "weekdays": ["3"],
        "comment": "",
        "action": "preview",
        "retour": kept,
    }
    preview = client.post(url, data).content.decode()
    assert _hidden_return(preview) == kept
    key = re.search(r'name="submission_key" value="([0-9a-f]+)"', preview).group(1)
    response = client.post(url, {**data, "action": "submit", "submission_key": key})
    assert response.status_code == 302
    booking_request = BookingRequest.objects.get()
    detail = reverse("planning:request_detail", args=[booking_request.pk])
    assert response["Location"].startswith(detail + "?retour=")
    page = client.get(response["Location"]).content.decode()
    assert f'href="{kept.replace("&", "&amp;")}"' in page and "Retour au planning" in page
