"""Step 3 of the family-space creation form: the activities wished for each child, stored in
the draft, become pending pre-enrolment requests when an agent accepts the creation (the
``family_created`` signal answered by planning.receivers, in the same transaction)."""

import datetime

from django.test import Client

import pytest
import time_machine

from family.services import (
    CreationError,
    creation_accept,
    creation_draft_get,
    creation_step_save,
    creation_submit,
    enrolment_choices_provider_register,
)
from notifications.models import TimelineEvent
from planning.models import Enrolment
from planning.services import creation_choices
from tests.conftest import HOST_A
from tests.planning.factories import ActivityFactory
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)
STEP3 = "/famille/creation/etape-3/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def provider():
    """planning registers its provider in ``AppConfig.ready()``; the fixture says so."""
    enrolment_choices_provider_register(creation_choices)


@pytest.fixture
def parent(collectivity_a):
    return UserFactory(email="parent.creation@example.test")


@pytest.fixture
def activities(collectivity_a, collectivity_b):
    return {
        "canteen": ActivityFactory(collectivity=collectivity_a, name="Restauration scolaire"),
        "small": ActivityFactory(
            collectivity=collectivity_a, name="Accueil des petits", age_min=3, age_max=5
        ),
        "other": ActivityFactory(collectivity=collectivity_b, name="Cantine de Bêta"),
    }


def _draft(parent, collectivity):
    draft = creation_draft_get(user=parent, collectivity=collectivity)
    creation_step_save(
        request=draft,
        step=1,
        data={
            "guardians": [{"last_name": "Durand", "first_name": "Claire"}],
            "children": [
                {"last_name": "Durand", "first_name": "Tom", "birth_date": "2018-01-02"},
                {"last_name": "Durand", "first_name": "Mia", "birth_date": "2022-03-04"},
            ],
        },
    )
    creation_step_save(request=draft, step=2, data={"payer": 1, "bank": {}, "fiscal": {}})
    return draft


def test_accepted_creation_creates_pending_enrolments(
    provider, parent, agent_a, collectivity_a, activities
):
    draft = _draft(parent, collectivity_a)
    canteen, small = activities["canteen"], activities["small"]
    creation_step_save(
        request=draft,
        step=3,
        data={
            "enrolments": [
                {"child_index": 0, "activity_id": canteen.pk},
                {"child_index": 1, "activity_id": str(small.pk)},
                {"child_index": 1, "activity_id": small.pk},  # ticked twice: once
            ]
        },
        advance=False,
    )
    draft.refresh_from_db()
    assert draft.data["enrolments"] == [
        {"child_index": 0, "activity_id": canteen.pk, "activity_name": "Restauration scolaire"},
        {"child_index": 1, "activity_id": small.pk, "activity_name": "Accueil des petits"},
    ]
    creation_submit(request=draft, by=parent)
    assert not Enrolment.objects.exists()
    family = creation_accept(request=draft, by=agent_a)
    rows = {
        (e.child.first_name, e.activity_id): e for e in Enrolment.objects.select_related("child")
    }
    assert set(rows) == {("Tom", canteen.pk), ("Mia", small.pk)}
    for enrolment in rows.values():
        assert enrolment.status == Enrolment.Status.PENDING
        assert enrolment.child.family == family
        assert enrolment.requested_by == parent
        assert (enrolment.start_date, enrolment.end_date) == (
            enrolment.activity.start_date,
            enrolment.activity.end_date,
        )
    assert (
        TimelineEvent.objects.filter(verb="enrolment_requested", family_id=family.pk).count() == 2
    )


@pytest.mark.parametrize("which", ["other", "unknown", "age", "child"])
def test_step3_refuses_bad_choices(provider, parent, collectivity_a, activities, which):
    draft = _draft(parent, collectivity_a)
    row = {
        "other": {"child_index": 0, "activity_id": activities["other"].pk},
        "unknown": {"child_index": 0, "activity_id": 999999},
        "age": {"child_index": 0, "activity_id": activities["small"].pk},  # Tom is 8
        "child": {"child_index": 5, "activity_id": activities["canteen"].pk},
    }[which]
    with pytest.raises(CreationError):
        creation_step_save(request=draft, step=3, data={"enrolments": [row]}, advance=False)
    draft.refresh_from_db()
    assert "enrolments" not in draft.data


def test_changing_children_clears_choices(provider, parent, collectivity_a, activities):
    draft = _draft(parent, collectivity_a)
    creation_step_save(
        request=draft,
        step=3,
        data={"enrolments": [{"child_index": 1, "activity_id": activities["small"].pk}]},
        advance=False,
    )
    creation_step_save(
        request=draft,
        step=1,
        data={
            "guardians": [{"last_name": "Durand", "first_name": "Claire"}],
            "children": [{"last_name": "Durand", "first_name": "Mia", "birth_date": "2022-03-04"}],
        },
    )
    draft.refresh_from_db()
    assert "enrolments" not in draft.data


def test_activity_closed_before_acceptance_family_still_created(
    provider, parent, agent_a, collectivity_a, activities
):
    draft = _draft(parent, collectivity_a)
    canteen = activities["canteen"]
    creation_step_save(
        request=draft,
        step=3,
        data={"enrolments": [{"child_index": 0, "activity_id": canteen.pk}]},
        advance=False,
    )
    creation_submit(request=draft, by=parent)
    canteen.is_active = False
    canteen.save()
    family = creation_accept(request=draft, by=agent_a)
    assert family.children.count() == 2
    assert not Enrolment.objects.exists()
    event = TimelineEvent.objects.get(verb="enrolment_request_not_created")
    assert event.family_id == family.pk
    assert "n’est pas proposée" in event.message


def test_step3_page_offers_activities_by_age_and_submits(
    provider, parent, collectivity_a, activities
):
    draft = _draft(parent, collectivity_a)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(parent)
    page = client.get(STEP3).content.decode()
    assert "Activités souhaitées pour Tom Durand" in page
    assert "Activités souhaitées pour Mia Durand" in page
    canteen, small = activities["canteen"], activities["small"]
    assert f'id="activite-0-{canteen.pk}"' in page
    assert f'id="activite-0-{small.pk}"' not in page  # Tom is too old
    assert f'id="activite-1-{small.pk}"' in page
    assert "Cantine de Bêta" not in page
    response = client.post(STEP3, {"activites-1": [str(small.pk)]})
    assert response.status_code == 302 and response.url == "/famille/creation/envoyee/"
    draft.refresh_from_db()
    assert draft.status == draft.Status.PENDING
    assert draft.data["enrolments"] == [
        {"child_index": 1, "activity_id": small.pk, "activity_name": "Accueil des petits"}
    ]


def test_step3_page_refuses_forged_choice(provider, parent, collectivity_a, activities):
    draft = _draft(parent, collectivity_a)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(parent)
    response = client.post(STEP3, {"activites-0": [str(activities["other"].pk)]}, follow=True)
    assert "Cette activité n’est pas proposée" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == draft.Status.DRAFT


def test_no_choice_without_provider_or_module(parent, collectivity_a, activities):
    _draft(parent, collectivity_a)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(parent)
    enrolment_choices_provider_register(None)
    try:
        assert "Activités souhaitées" not in client.get(STEP3).content.decode()
    finally:
        enrolment_choices_provider_register(creation_choices)
    collectivity_a.module_enrolment = False
    collectivity_a.save()
    assert "Activités souhaitées" not in client.get(STEP3).content.decode()
