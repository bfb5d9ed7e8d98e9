"""Every planning e-mail is rendered in the shared layout: an HTML part and an absolute link
to the page concerned, on the collectivity's host (``http://localhost`` for collectivity A)."""

import datetime

from django.urls import reverse

import pytest
import time_machine

from notifications.models import OutboxEmail
from planning.services import (
    enrolment_accept,
    enrolment_cancel,
    enrolment_refuse,
    enrolment_request,
    request_accept,
    request_submit,
)
from tests.notifications.helpers import digest_for
from tests.planning.factories import ActivityFactory, ChildFactory, EnrolmentFactory, SlotFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 3)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def parent(collectivity_a):
    return UserFactory(email="parent.mails@example.test")


@pytest.fixture
def child(collectivity_a, parent):
    family = FamilyFactory(collectivity=collectivity_a, name="Courriel")
    SubscriptionFactory(user=parent, family=family)
    return ChildFactory(family=family, first_name="Léa")


def _assert_layout(email, *, subject: str, path: str, family):
    assert email.subject.startswith(f"[{family.collectivity.name}] ")
    assert subject in email.subject
    assert email.family_id == family.pk
    assert email.body_html.strip()
    assert "<html" in email.body_html
    link = f"http://localhost{path}"
    assert family.collectivity.base_url.rstrip("/") == "http://localhost"
    assert link in email.body_text
    assert f'href="{link}"' in email.body_html


def _request(child, parent, *, requires_approval):
    activity = ActivityFactory(
        collectivity=child.family.collectivity, requires_approval=requires_approval
    )
    SlotFactory(activity=activity, date=DAY)
    EnrolmentFactory(child=child, activity=activity)
    return request_submit(
        family=child.family,
        user=parent,
        kind="reservation",
        activity=activity,
        children=[child],
        date_from=DAY,
        date_to=DAY,
        weekdays=[DAY.weekday()],
    )


def test_request_acknowledgement(child, parent):
    booking_request = _request(child, parent, requires_approval=False)
    email = OutboxEmail.objects.get()
    _assert_layout(
        email,
        subject="Accusé de réception de votre demande",
        path=reverse("planning:request_detail", args=[booking_request.pk]),
        family=child.family,
    )
    assert "Nous avons bien reçu votre demande de réservation" in email.body_text


def test_request_decision_is_told_in_the_digest(child, parent, agent_a):
    booking_request = _request(child, parent, requires_approval=True)
    request_accept(request=booking_request, agent=agent_a)
    email = digest_for(parent.email, child.family.collectivity)
    _assert_layout(
        email,
        subject="Récapitulatif : 1 décision",
        path=reverse("notifications:request_detail", args=["reservation", booking_request.pk]),
        family=child.family,
    )
    assert "Décision sur votre demande de réservation" in email.body_text
    assert "== Léa ==" in email.body_text


def _enrolment(child, parent):
    activity = ActivityFactory(collectivity=child.family.collectivity, name="Mercredis")
    return enrolment_request(
        child=child,
        activity=activity,
        start_date=activity.start_date,
        end_date=activity.end_date,
        weekdays=[],
        user=parent,
    )


def test_enrolment_acknowledgement(child, parent):
    _enrolment(child, parent)
    email = OutboxEmail.objects.get()
    _assert_layout(
        email,
        subject="Accusé de réception de votre demande",
        path=reverse("planning:enrolments"),
        family=child.family,
    )
    assert "Nous avons bien reçu votre demande de pré-inscription de Léa" in email.body_text


def test_enrolment_acceptance_is_told_in_the_digest(child, parent, agent_a):
    enrolment = enrolment_accept(enrolment=_enrolment(child, parent), agent=agent_a)
    email = digest_for(parent.email, child.family.collectivity)
    _assert_layout(
        email,
        subject="Récapitulatif : 1 décision",
        path=reverse("notifications:request_detail", args=["inscription", enrolment.pk]),
        family=child.family,
    )
    assert "Pré-inscription de Léa à « Mercredis » acceptée" in email.body_text


def test_enrolment_refusal_is_told_in_the_digest(child, parent, agent_a):
    enrolment_refuse(enrolment=_enrolment(child, parent), agent=agent_a, reason="Complet")
    email = digest_for(parent.email, child.family.collectivity)
    assert "Motif : Complet" in email.body_text


def test_enrolment_cancellation(child, parent):
    enrolment_cancel(enrolment=_enrolment(child, parent), user=parent)
    email = OutboxEmail.objects.latest("pk")
    _assert_layout(
        email,
        subject="Annulation de votre demande de pré-inscription",
        path=reverse("planning:enrolments"),
        family=child.family,
    )
    assert "annulée" in email.body_text
