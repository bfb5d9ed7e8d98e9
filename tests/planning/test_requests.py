"""Reservation and absence requests at the service level (issue #6): every rule, every bad
input (with nothing changed), decisions per day and whole, events and e-mails."""

import datetime
from decimal import Decimal

from django.db import transaction

import pytest
import time_machine

from notifications.models import OutboxEmail, TimelineEvent
from planning.calendar import activity_open_dates
from planning.errors import PlanningError
from planning.models import (
    Booking,
    BookingEvent,
    BookingRequest,
    BookingRequestLine,
    Enrolment,
    Slot,
)
from planning.services import bookings as engine
from planning.services import (
    day_option,
    request_accept,
    request_cancel,
    request_preview,
    request_refuse,
    request_submit,
    requests_decide_bulk,
)
from tests.planning.factories import ActivityFactory, ChildFactory, EnrolmentFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

State = Booking.State
Line = BookingRequestLine.Status
Status = BookingRequest.Status
Kind = BookingRequest.Kind
UTC = datetime.UTC
# Monday 23 November 2026, 09:00 in Paris.
NOW = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
MON_TUE_THU_FRI = [0, 1, 3, 4]
D = datetime.date


@pytest.fixture(autouse=True)
def frozen_now(django_db_setup):
    with time_machine.travel(NOW, tick=False):
        yield


def make_slots(activity, start, end):
    days = [d for d in activity_open_dates(activity) if start <= d <= end]
    return Slot.objects.bulk_create(
        [
            Slot(
                activity=activity,
                date=day,
                start_time=activity.start_time,
                end_time=activity.end_time,
                capacity=activity.capacity,
            )
            for day in days
        ]
    )


@pytest.fixture
def activity(collectivity_a):
    activity = ActivityFactory(
        collectivity=collectivity_a,
        requires_approval=False,
        capacity=10,
        unit_price=Decimal("3.50"),
        booking_notice_days=2,
        cancellation_notice_days=2,
    )
    make_slots(activity, D(2026, 11, 23), D(2027, 1, 31))
    return activity


@pytest.fixture
def approval_activity(collectivity_a):
    activity = ActivityFactory(
        collectivity=collectivity_a, requires_approval=True, capacity=10, name="Mercredi"
    )
    make_slots(activity, D(2026, 11, 23), D(2027, 1, 31))
    return activity


@pytest.fixture
def parent(collectivity_a):
    return UserFactory(email="parent.martin@example.test")


@pytest.fixture
def family(collectivity_a, parent):
    family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    SubscriptionFactory(family=family, user=parent)
    return family


@pytest.fixture
def children(family, activity, approval_activity):
    kids = [ChildFactory(family=family, first_name=name) for name in ("Léa", "Tom")]
    for kid in kids:
        EnrolmentFactory(child=kid, activity=activity)
        EnrolmentFactory(child=kid, activity=approval_activity)
    return kids


def submit(family, parent, activity, children, start, end, *, kind=Kind.RESERVATION, **kw):
    kw.setdefault("weekdays", MON_TUE_THU_FRI)
    return request_submit(
        family=family,
        user=parent,
        kind=kind,
        activity=activity,
        children=children,
        date_from=start,
        date_to=end,
        **kw,
    )


def preview(family, activity, children, start, end, *, kind=Kind.RESERVATION, **kw):
    kw.setdefault("weekdays", MON_TUE_THU_FRI)
    return request_preview(
        family=family,
        kind=kind,
        activity=activity,
        children=children,
        date_from=start,
        date_to=end,
        **kw,
    )


def snapshot():
    return (
        BookingRequest.objects.count(),
        BookingRequestLine.objects.count(),
        list(Booking.objects.order_by("pk").values_list("pk", "state")),
        BookingEvent.objects.count(),
        TimelineEvent.objects.count(),
        OutboxEmail.objects.count(),
    )


# --- preview


def test_preview_reservation_days_and_excluded_reasons(family, activity, children):
    # 14–25 December 2026 (zone B): a school week, then Christmas holidays with Noël on Friday.
    result = preview(
        family, activity, children, D(2026, 12, 14), D(2026, 12, 25), weekdays=[0, 1, 2, 3, 4]
    )
    included = sorted({d.date for d in result.days})
    assert included == [D(2026, 12, 14), D(2026, 12, 15), D(2026, 12, 17), D(2026, 12, 18)]
    assert all(d.outcome == "accepted" and d.label == "Acceptée immédiatement" for d in result.days)
    assert len(result.days) == 8  # 4 days × 2 children
    reasons = {(e.date, e.reason) for e in result.excluded if e.child == children[0]}
    assert (D(2026, 12, 16), "Fermé ce jour de la semaine") in reasons
    assert (D(2026, 12, 21), "Vacances scolaires : Vacances de Noël") in reasons
    assert (D(2026, 12, 25), "Jour férié : Noël") in reasons
    assert result.counts["accepted"] == 8
    (lea, lea_days, lea_excluded), (tom, _tom_days, _tom_excluded) = result.by_child
    assert (lea, tom) == tuple(children)
    assert len(lea_days) == 4 and len(lea_excluded) == 6
    assert snapshot()[0] == 0  # nothing written


def test_preview_not_enrolled_deadline_past_and_already_booked(family, activity, children):
    lea, tom = children
    Enrolment.objects.filter(child=tom, activity=activity).update(
        start_date=D(2026, 12, 1), end_date=D(2026, 12, 31)
    )
    Booking.objects.create(
        child=lea,
        slot=Slot.objects.get(activity=activity, date=D(2026, 11, 30)),
        state=State.RESERVED,
    )
    # Now: Monday 23 Nov 09:00. Deadline of Wed 25 is Mon 23 23:59: still open.
    result = preview(family, activity, children, D(2026, 11, 23), D(2026, 12, 1))
    reasons = {(e.child.first_name, e.date): e.reason for e in result.excluded}
    assert reasons[("Léa", D(2026, 11, 23))] == "Délai de réservation dépassé"
    assert reasons[("Léa", D(2026, 11, 24))] == "Délai de réservation dépassé"
    assert ("Léa", D(2026, 11, 26)) not in reasons  # Thursday: deadline Tuesday 23:59
    assert reasons[("Léa", D(2026, 11, 30))] == "Déjà réservé"
    assert reasons[("Tom", D(2026, 11, 26))] == "Enfant non inscrit à cette date"
    assert ("Tom", D(2026, 12, 1)) not in reasons


def test_slot_already_started_is_a_past_day(family, activity, children):
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 45, tzinfo=UTC), tick=False):
        result = preview(
            family, activity, children[:1], D(2026, 11, 26), D(2026, 11, 26), kind=Kind.ABSENCE
        )
    assert [e.reason for e in result.excluded] == ["Jour passé"]


def test_preview_waiting_positions_count_earlier_days(family, activity, children, collectivity_a):
    slot = Slot.objects.get(activity=activity, date=D(2026, 12, 3))
    slot.capacity = 2
    slot.save()
    other = ChildFactory(family=FamilyFactory(collectivity=collectivity_a))
    EnrolmentFactory(child=other, activity=activity)
    with transaction.atomic():
        engine.reserve(pairs=[(other.pk, slot.pk)])
    third = ChildFactory(family=family, first_name="Zoé")
    EnrolmentFactory(child=third, activity=activity)
    result = preview(family, activity, [*children, third], D(2026, 12, 3), D(2026, 12, 3))
    assert [(d.child.first_name, d.outcome, d.position) for d in result.days] == [
        ("Léa", "accepted", None),
        ("Tom", "waiting", 1),
        ("Zoé", "waiting", 2),
    ]
    assert result.days[2].label == "Liste d’attente, position 2"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date_from": D(2026, 12, 10), "date_to": D(2026, 12, 1)}, "date de fin"),
        ({"weekdays": []}, "au moins un jour"),
        ({"weekdays": [7]}, "au moins un jour"),
        ({"children": []}, "au moins un enfant"),
        ({"date_to": D(2027, 12, 1)}, "La période dépasse la date limite de réservation"),
        ({"kind": "holiday"}, "Type de demande inconnu"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    family, parent, activity, children, changes, message
):
    kwargs = {
        "family": family,
        "user": parent,
        "kind": Kind.RESERVATION,
        "activity": activity,
        "children": children,
        "date_from": D(2026, 12, 1),
        "date_to": D(2026, 12, 10),
        "weekdays": MON_TUE_THU_FRI,
    }
    kwargs.update(changes)
    before = snapshot()
    with pytest.raises(PlanningError) as error:
        request_submit(**kwargs)
    assert message in error.value.message
    with pytest.raises(PlanningError):
        request_preview(**{k: v for k, v in kwargs.items() if k != "user"})
    assert snapshot() == before


def test_horizon_message_gives_the_date(family, parent, activity, children):
    activity.booking_horizon_days = 30
    activity.save()
    with pytest.raises(PlanningError) as error:
        submit(family, parent, activity, children, D(2026, 12, 1), D(2026, 12, 31))
    assert error.value.message == "La période dépasse la date limite de réservation (23/12/2026)."


def test_child_of_another_family_is_refused(family, parent, activity, children, collectivity_a):
    stranger = ChildFactory(family=FamilyFactory(collectivity=collectivity_a))
    EnrolmentFactory(child=stranger, activity=activity)
    before = snapshot()
    with pytest.raises(PlanningError) as error:
        submit(family, parent, activity, [children[0], stranger], D(2026, 12, 1), D(2026, 12, 4))
    assert error.value.message == "Cet enfant n’appartient pas à votre famille."
    assert snapshot() == before


def test_activity_of_another_collectivity_or_withdrawn(
    family, parent, children, activity, collectivity_b
):
    foreign = ActivityFactory(collectivity=collectivity_b, requires_approval=False)
    make_slots(foreign, D(2026, 12, 1), D(2026, 12, 4))
    before = snapshot()
    with pytest.raises(PlanningError) as error:
        submit(family, parent, foreign, children, D(2026, 12, 1), D(2026, 12, 4))
    assert "pas proposée par votre collectivité" in error.value.message
    activity.is_active = False
    activity.save()
    with pytest.raises(PlanningError) as error:
        submit(family, parent, activity, children, D(2026, 12, 1), D(2026, 12, 4))
    assert "plus proposée" in error.value.message
    assert snapshot() == before


def test_reservation_without_enrolment_is_refused(family, parent, activity, children):
    Enrolment.objects.filter(activity=activity).update(status=Enrolment.Status.PENDING)
    before = snapshot()
    with pytest.raises(PlanningError) as error:
        submit(family, parent, activity, children, D(2026, 12, 1), D(2026, 12, 4))
    assert error.value.message == "Aucun jour de la période ne peut être demandé."
    assert snapshot() == before


def test_absence_without_reservation_is_refused(family, parent, activity, children):
    result = preview(family, activity, children, D(2026, 12, 1), D(2026, 12, 1), kind=Kind.ABSENCE)
    assert {e.reason for e in result.excluded} == {"Pas de réservation ce jour"}
    before = snapshot()
    with pytest.raises(PlanningError):
        submit(
            family, parent, activity, children, D(2026, 12, 1), D(2026, 12, 4), kind=Kind.ABSENCE
        )
    assert snapshot() == before


def test_notice_passed_only_is_refused(family, parent, activity, children):
    before = snapshot()
    # Tuesday 24 November: deadline was Sunday 22 at 23:59.
    with pytest.raises(PlanningError):
        submit(family, parent, activity, children, D(2026, 11, 24), D(2026, 11, 24))
    assert snapshot() == before


# --- submission without approval


def test_submit_applies_at_once_with_events_and_acknowledgement(family, parent, activity, children):
    request = submit(
        family, parent, activity, children, D(2026, 12, 1), D(2026, 12, 18), submission_key="k1"
    )
    assert request.status == Status.ACCEPTED
    assert request.decided_at is not None
    lines = list(request.lines.all())
    assert len(lines) == 2 * 11  # Mon, Tue, Thu, Fri from Tuesday 1 to Friday 18
    assert {line.status for line in lines} == {Line.ACCEPTED}
    assert Booking.objects.filter(state=State.RESERVED).count() == 22
    # Each booking's history links its request line.
    event = BookingEvent.objects.filter(request_line=lines[0]).get()
    assert (event.verb, event.state, event.actor) == (
        BookingEvent.Verb.BOOKED,
        State.RESERVED,
        parent,
    )
    timeline = TimelineEvent.objects.get()
    assert timeline.verb == "booking_request_created"
    assert timeline.subject_id == request.pk and timeline.family_id == family.pk
    email = OutboxEmail.objects.get()
    assert email.to == [parent.email]
    assert "Accusé de réception de votre demande" in email.subject
    assert "Réservation acceptée (Léa et Tom) — 11 jours chacun" in email.body_text


def test_same_submission_twice_makes_one_request(family, parent, activity, children):
    first = submit(
        family, parent, activity, children, D(2026, 12, 1), D(2026, 12, 4), submission_key="abc"
    )
    after_first = snapshot()
    again = submit(
        family, parent, activity, children, D(2026, 12, 1), D(2026, 12, 4), submission_key="abc"
    )
    assert again.pk == first.pk
    assert snapshot() == after_first
    # The same days asked again with another form: nothing left to ask.
    with pytest.raises(PlanningError):
        submit(
            family, parent, activity, children, D(2026, 12, 1), D(2026, 12, 4), submission_key="xyz"
        )


def test_full_slot_gives_waiting_lines(family, parent, activity, children):
    Slot.objects.filter(activity=activity, date=D(2026, 12, 3)).update(capacity=1)
    request = submit(family, parent, activity, children, D(2026, 12, 3), D(2026, 12, 4))
    statuses = {(x.child.first_name, x.slot.date): x.status for x in request.lines.all()}
    assert statuses[("Léa", D(2026, 12, 3))] == Line.ACCEPTED
    assert statuses[("Tom", D(2026, 12, 3))] == Line.WAITING
    assert statuses[("Tom", D(2026, 12, 4))] == Line.ACCEPTED
    assert request.status == Status.ACCEPTED
    assert Booking.objects.get(child=children[1], slot__date=D(2026, 12, 3)).state == State.WAITING


def test_absence_in_time_is_free_and_promotes_the_waiting_list(
    family, parent, activity, children, collectivity_a
):
    Slot.objects.filter(activity=activity, date=D(2026, 12, 3)).update(capacity=2)
    submit(family, parent, activity, children, D(2026, 12, 3), D(2026, 12, 3))
    other = ChildFactory(family=FamilyFactory(collectivity=collectivity_a))
    EnrolmentFactory(child=other, activity=activity)
    with transaction.atomic():
        engine.reserve(
            pairs=[(other.pk, Slot.objects.get(activity=activity, date=D(2026, 12, 3)).pk)]
        )
    result = preview(
        family, activity, children[:1], D(2026, 12, 3), D(2026, 12, 3), kind=Kind.ABSENCE
    )
    assert [(d.outcome, d.label) for d in result.days] == [("absence", "Absence sans facturation")]
    request = submit(
        family, parent, activity, children[:1], D(2026, 12, 3), D(2026, 12, 3), kind=Kind.ABSENCE
    )
    assert request.status == Status.ACCEPTED
    assert Booking.objects.get(child=children[0], slot__date=D(2026, 12, 3)).state == State.ABSENT
    assert Booking.objects.get(child=other).state == State.RESERVED


def test_late_absence_is_billed(family, parent, activity, children):
    submit(family, parent, activity, children[:1], D(2026, 12, 3), D(2026, 12, 3))
    # Wednesday 2 December 08:00 in Paris: past the D-2 deadline, before the slot starts.
    with time_machine.travel(datetime.datetime(2026, 12, 2, 7, 0, tzinfo=UTC), tick=False):
        result = preview(
            family, activity, children[:1], D(2026, 12, 3), D(2026, 12, 3), kind=Kind.ABSENCE
        )
        assert [(d.outcome, d.cost) for d in result.days] == [("absence_billed", Decimal("3.50"))]
        assert result.days[0].label == "Absence facturée : 3,50 €"
        assert result.total_cost == Decimal("3.50")
        request = submit(
            family,
            parent,
            activity,
            children[:1],
            D(2026, 12, 3),
            D(2026, 12, 3),
            kind=Kind.ABSENCE,
        )
    line = request.lines.get()
    assert line.billed and line.status == Line.ACCEPTED
    assert (
        Booking.objects.get(child=children[0], slot__date=D(2026, 12, 3)).state
        == State.ABSENT_BILLED
    )


def test_late_absence_not_billed_when_the_activity_says_so(family, parent, activity, children):
    activity.late_absence_billed = False
    activity.save()
    submit(family, parent, activity, children[:1], D(2026, 12, 3), D(2026, 12, 3))
    with time_machine.travel(datetime.datetime(2026, 12, 2, 7, 0, tzinfo=UTC), tick=False):
        result = preview(
            family, activity, children[:1], D(2026, 12, 3), D(2026, 12, 3), kind=Kind.ABSENCE
        )
    assert [d.outcome for d in result.days] == ["absence"]


# --- submission with approval and decisions


def test_submit_with_approval_waits_for_an_agent(family, parent, approval_activity, children):
    result = preview(family, approval_activity, children, D(2026, 12, 1), D(2026, 12, 4))
    assert {d.outcome for d in result.days} == {"pending"}
    request = submit(family, parent, approval_activity, children, D(2026, 12, 1), D(2026, 12, 4))
    assert request.status == Status.PENDING and request.decided_at is None
    assert request.lines.filter(status=Line.PENDING).count() == 6
    assert Booking.objects.filter(state=State.PENDING).count() == 6
    slot_ids = list(Slot.objects.filter(activity=approval_activity).values_list("pk", flat=True))
    assert engine.holders_count(slot_ids) == dict.fromkeys(slot_ids, 0)
    email = OutboxEmail.objects.get()
    assert "Accusé de réception de votre demande" in email.subject
    assert "en attente de validation" in email.body_text
    # The same days again: a request is already under way.
    again = preview(family, approval_activity, children, D(2026, 12, 1), D(2026, 12, 4))
    assert {e.reason for e in again.excluded} == {"Demande déjà en cours"}


def test_accept_per_day_then_the_rest(family, parent, agent_a, approval_activity, children):
    request = submit(family, parent, approval_activity, children, D(2026, 12, 1), D(2026, 12, 4))
    first = list(request.lines.order_by("pk")[:2])
    request_accept(request=request, agent=agent_a, line_ids=[line.pk for line in first])
    request.refresh_from_db()
    assert request.status == Status.PENDING
    for line in first:
        line.refresh_from_db()
        assert line.status == Line.ACCEPTED and line.decided_by == agent_a
        assert Booking.objects.get(child=line.child, slot=line.slot).state == State.RESERVED
    request_accept(request=request, agent=agent_a)
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED and request.decided_at is not None
    assert Booking.objects.filter(state=State.RESERVED).count() == 6
    decided = TimelineEvent.objects.filter(verb="booking_request_decided")
    assert decided.count() == 2
    assert all(event.digest for event in decided)  # for the digest, no e-mail of their own
    assert not OutboxEmail.objects.filter(subject__contains="Réponse à votre demande").exists()
    assert BookingEvent.objects.filter(verb=BookingEvent.Verb.ACCEPTED, actor=agent_a).count() == 6
    with pytest.raises(PlanningError) as error:
        request_accept(request=request, agent=agent_a)
    assert error.value.message == "Cette demande a déjà été traitée."


def test_accept_when_full_puts_on_waiting_list(
    family, parent, agent_a, approval_activity, children
):
    Slot.objects.filter(activity=approval_activity, date=D(2026, 12, 3)).update(capacity=1)
    request = submit(family, parent, approval_activity, children, D(2026, 12, 3), D(2026, 12, 3))
    request_accept(request=request, agent=agent_a)
    statuses = sorted(request.lines.values_list("status", flat=True))
    assert statuses == [Line.ACCEPTED, Line.WAITING]
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED


def test_refuse_needs_a_reason_then_cancels_the_bookings(
    family, parent, agent_a, approval_activity, children
):
    request = submit(family, parent, approval_activity, children, D(2026, 12, 1), D(2026, 12, 4))
    before = snapshot()
    with pytest.raises(PlanningError) as error:
        request_refuse(request=request, agent=agent_a, reason="  ")
    assert error.value.message == "Indiquez le motif du refus."
    assert snapshot() == before
    request_refuse(request=request, agent=agent_a, reason="Effectif complet ce mois-ci.")
    request.refresh_from_db()
    assert request.status == Status.REFUSED
    assert set(request.lines.values_list("status", "refusal_reason")) == {
        (Line.REFUSED, "Effectif complet ce mois-ci.")
    }
    assert set(Booking.objects.values_list("state", flat=True)) == {State.CANCELLED}
    decision = TimelineEvent.objects.get(verb="booking_request_decided", digest=True)
    assert "Effectif complet ce mois-ci." in decision.message
    with pytest.raises(PlanningError):
        request_refuse(request=request, agent=agent_a, reason="Encore")


def test_accept_some_refuse_others_is_partial(family, parent, agent_a, approval_activity, children):
    request = submit(
        family, parent, approval_activity, children[:1], D(2026, 12, 1), D(2026, 12, 4)
    )
    lines = list(request.lines.order_by("slot__date"))
    request_accept(request=request, agent=agent_a, line_ids=[lines[0].pk])
    request_refuse(
        request=request,
        agent=agent_a,
        reason="Sortie scolaire",
        line_ids=[lines[1].pk, lines[2].pk],
    )
    request.refresh_from_db()
    assert request.status == Status.PARTIAL


def test_absence_with_approval_keeps_the_place_until_decided(
    family, parent, agent_a, approval_activity, children
):
    slot = Slot.objects.get(activity=approval_activity, date=D(2026, 12, 3))
    booking = Booking.objects.create(child=children[0], slot=slot, state=State.RESERVED)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 7, 0, tzinfo=UTC), tick=False):
        request = submit(
            family,
            parent,
            approval_activity,
            children[:1],
            D(2026, 12, 3),
            D(2026, 12, 3),
            kind=Kind.ABSENCE,
        )
    booking.refresh_from_db()
    assert booking.state == State.RESERVED
    assert booking.events.get().verb == BookingEvent.Verb.REQUESTED
    assert request.lines.get().billed
    request_accept(request=request, agent=agent_a)
    booking.refresh_from_db()
    assert booking.state == State.ABSENT_BILLED


def test_absence_refused_leaves_the_booking(family, parent, agent_a, approval_activity, children):
    slot = Slot.objects.get(activity=approval_activity, date=D(2026, 12, 3))
    booking = Booking.objects.create(child=children[0], slot=slot, state=State.RESERVED)
    request = submit(
        family,
        parent,
        approval_activity,
        children[:1],
        D(2026, 12, 3),
        D(2026, 12, 3),
        kind=Kind.ABSENCE,
    )
    assert not request.lines.get().billed
    request_refuse(request=request, agent=agent_a, reason="Justificatif manquant")
    booking.refresh_from_db()
    assert booking.state == State.RESERVED
    assert booking.events.last().verb == BookingEvent.Verb.REFUSED


def test_cancel_pending_request_then_refuse_cancelling_a_decided_one(
    family, parent, agent_a, approval_activity, children
):
    request = submit(family, parent, approval_activity, children, D(2026, 12, 1), D(2026, 12, 4))
    request_cancel(request=request, user=parent)
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
    assert set(request.lines.values_list("status", flat=True)) == {Line.CANCELLED}
    assert set(Booking.objects.values_list("state", flat=True)) == {State.CANCELLED}
    assert TimelineEvent.objects.filter(verb="booking_request_cancelled").count() == 1
    with pytest.raises(PlanningError):
        request_cancel(request=request, user=parent)

    decided = submit(family, parent, approval_activity, children, D(2026, 12, 1), D(2026, 12, 4))
    request_accept(request=decided, agent=agent_a)
    before = snapshot()
    with pytest.raises(PlanningError) as error:
        request_cancel(request=decided, user=parent)
    assert (
        error.value.message == "Cette demande a déjà été traitée ; elle ne peut plus être annulée."
    )
    assert snapshot() == before


def test_decide_in_bulk(family, parent, agent_a, approval_activity, children):
    one = submit(family, parent, approval_activity, children[:1], D(2026, 12, 1), D(2026, 12, 1))
    two = submit(family, parent, approval_activity, children[1:], D(2026, 12, 1), D(2026, 12, 1))
    with pytest.raises(PlanningError):
        requests_decide_bulk(requests=[one, two], agent=agent_a, accept=False)
    assert requests_decide_bulk(requests=[one, two], agent=agent_a, accept=True) == 2
    assert requests_decide_bulk(requests=[one, two], agent=agent_a, accept=True) == 0
    assert set(BookingRequest.objects.values_list("status", flat=True)) == {Status.ACCEPTED}


# --- single-day option for the slot page


def test_day_option(family, parent, activity, approval_activity, children, collectivity_a):
    lea, tom = children
    slot = Slot.objects.get(activity=activity, date=D(2026, 12, 3))
    option = day_option(family=family, child=lea, slot=slot)
    assert (option.kind, option.allowed, option.outcome) == ("reservation", True, "accepted")
    assert option.message == "La réservation sera acceptée immédiatement."
    submit(family, parent, activity, [lea], D(2026, 12, 3), D(2026, 12, 3))
    option = day_option(family=family, child=lea, slot=slot)
    assert (option.kind, option.allowed, option.outcome) == ("absence", True, "absence")
    Enrolment.objects.filter(child=tom, activity=activity).delete()
    option = day_option(family=family, child=tom, slot=slot)
    assert (option.allowed, option.message) == (False, "Enfant non inscrit à cette date")
    pending_slot = Slot.objects.get(activity=approval_activity, date=D(2026, 12, 3))
    assert day_option(family=family, child=lea, slot=pending_slot).outcome == "pending"
    far = Slot.objects.create(
        activity=activity,
        date=D(2028, 1, 6),
        start_time=activity.start_time,
        end_time=activity.end_time,
        capacity=5,
    )
    option = day_option(family=family, child=lea, slot=far)
    assert not option.allowed and "dépasse la date limite" in option.message


# --- the short critical section (issue #17, item 1)


def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"].upper()]


def test_a_reservation_takes_the_slot_lock_last(family, parent, activity, children):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        request = submit(family, parent, activity, children[:1], D(2026, 12, 3), D(2026, 12, 3))
    statements = _statements(queries.captured_queries)
    # Everything is written first; the slot rows are read (locked on PostgreSQL) and the
    # places counted last, just before COMMIT.
    lock, count = statements[-2:]
    assert 'FROM "planning_slot"' in lock
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in lock
    assert 'FROM "planning_booking"' in count and "COUNT(" in count.upper()
    assert not any("FOR UPDATE" in sql for sql in statements[:-2])
    assert all(not sql.lstrip().upper().startswith(("INSERT", "UPDATE")) for sql in statements[-2:])
    assert request.received_at == NOW
    assert request.lines.get().status == Line.ACCEPTED
    assert Booking.objects.get(child=children[0]).state == State.RESERVED
    assert TimelineEvent.objects.filter(verb="booking_request_created").count() == 1
    assert OutboxEmail.objects.count() == 1


def test_a_wrong_prediction_is_redone_lock_first_leaving_nothing_twice(
    family, parent, activity, children, monkeypatch
):
    real = engine.places_confirm
    calls = []

    def outrun(**kwargs):
        # As if another family had taken the last place between the preview and the lock.
        calls.append(kwargs)
        raise engine.Mispredicted

    monkeypatch.setattr(engine, "places_confirm", outrun)
    Slot.objects.filter(activity=activity, date=D(2026, 12, 3)).update(capacity=1)
    request = submit(family, parent, activity, children, D(2026, 12, 3), D(2026, 12, 3))
    monkeypatch.setattr(engine, "places_confirm", real)
    assert len(calls) == 1
    assert BookingRequest.objects.get() == request
    assert sorted(line.status for line in request.lines.all()) == [Line.ACCEPTED, Line.WAITING]
    assert Booking.objects.count() == 2
    assert BookingEvent.objects.count() == 2
    assert TimelineEvent.objects.filter(verb="booking_request_created").count() == 1
    assert OutboxEmail.objects.count() == 1
    waiting = Booking.objects.get(state=State.WAITING)
    assert waiting.queued_at == request.received_at == NOW


def test_places_confirm_refuses_an_overfull_or_a_no_longer_full_slot(family, activity, children):
    slot = Slot.objects.filter(activity=activity, date=D(2026, 12, 3)).get()
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    with transaction.atomic():
        engine.places_confirm(taken=[], queued=[])
        with pytest.raises(engine.Mispredicted):  # a place free: nobody should wait
            engine.places_confirm(taken=[], queued=[slot.pk])
        Booking.objects.create(child=children[0], slot=slot, state=State.RESERVED)
        engine.places_confirm(taken=[slot.pk], queued=[slot.pk])  # exactly full
        Booking.objects.create(child=children[1], slot=slot, state=State.RESERVED)
        with pytest.raises(engine.Mispredicted):  # two holders for one place
            engine.places_confirm(taken=[slot.pk], queued=[])
        Slot.objects.filter(pk=slot.pk).update(is_orphan=True)
        with pytest.raises(engine.Mispredicted):  # the day left the calendar
            engine.places_confirm(taken=[], queued=[slot.pk])


def test_the_waiting_list_follows_arrival_not_the_order_of_processing(
    family, parent, activity, children, collectivity_a
):
    slot = Slot.objects.filter(activity=activity, date=D(2026, 12, 3)).get()
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    Booking.objects.create(
        child=ChildFactory(family=FamilyFactory(collectivity=collectivity_a)),
        slot=slot,
        state=State.RESERVED,
    )
    second = NOW + datetime.timedelta(milliseconds=40)
    first = NOW + datetime.timedelta(milliseconds=10)
    # Tom's request arrived later but is processed first.
    submit(family, parent, activity, [children[1]], slot.date, slot.date, received_at=second)
    submit(family, parent, activity, [children[0]], slot.date, slot.date, received_at=first)
    waiting = list(Booking.objects.filter(state=State.WAITING).order_by("queued_at", "pk"))
    assert [b.child for b in waiting] == [children[0], children[1]]
    assert [b.queued_at for b in waiting] == [first, second]
    assert engine.waiting_positions(waiting) == {waiting[0].pk: 1, waiting[1].pk: 2}


def test_a_day_asked_again_after_a_cancellation_reuses_its_booking(
    family, parent, activity, children
):
    slot = Slot.objects.filter(activity=activity, date=D(2026, 12, 3)).get()
    booking = Booking.objects.create(child=children[0], slot=slot, state=State.CANCELLED)
    request = submit(family, parent, activity, [children[0]], slot.date, slot.date)
    booking.refresh_from_db()
    assert booking.state == State.RESERVED
    assert Booking.objects.filter(child=children[0], slot=slot).count() == 1
    assert request.lines.get().status == Line.ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_lock_stats_tell_the_hold_and_its_statements(
    family, parent, activity, children, monkeypatch, tmp_path
):
    import json

    stats = tmp_path / "locks.jsonl"
    monkeypatch.setenv("PORTAL_LOCK_STATS", str(stats))
    submit(family, parent, activity, children[:1], D(2026, 12, 3), D(2026, 12, 3))
    (row,) = [json.loads(line) for line in stats.read_text().splitlines()]
    assert row["path"] == "ahead" and row["statements"] == 2  # the lock and the count
    assert row["wait"] >= 0 and 0 < row["hold"] < 60

    stats.unlink()
    monkeypatch.setattr(engine, "places_confirm", _always_mispredicted)
    submit(family, parent, activity, children[1:], D(2026, 12, 3), D(2026, 12, 3))
    rows = [json.loads(line) for line in stats.read_text().splitlines()]
    assert rows[0] == {"mispredicted": 1}
    assert rows[1]["path"] == "locked" and rows[1]["statements"] > 2
    assert len(rows) == 2


def _always_mispredicted(**kwargs):
    raise engine.Mispredicted


def test_a_one_day_reservation_reads_its_slot_once_and_bumps_the_family_once(
    family, parent, activity, children
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from planning.services import one_day

    slot = Slot.objects.select_related("activity").get(activity=activity, date=D(2026, 12, 3))
    family.refresh_from_db()
    version = family.planning_version
    with CaptureQueriesContext(connection) as queries:
        request = request_submit(
            family=family,
            user=parent,
            kind=Kind.RESERVATION,
            submission_key="once",
            received_at=NOW,
            **one_day(child=children[0], slot=slot),
        )
    statements = _statements(queries.captured_queries)
    # The slot given is the period's: only the lock reads the slot row again.
    assert [sql for sql in statements if 'FROM "planning_slot"' in sql] == [statements[-2]]
    # No look for a replayed form before the request's insert (its unique key is the check).
    assert not any(
        sql.lstrip().upper().startswith("SELECT") and 'FROM "planning_bookingrequest"' in sql
        for sql in statements
    )
    bumps = [sql for sql in statements if sql.lstrip().upper().startswith('UPDATE "FAMILY_FAMILY"')]
    assert len(bumps) == 1
    family.refresh_from_db()
    assert family.planning_version == version + 1
    assert request.lines.get().status == Line.ACCEPTED


def test_a_replayed_form_whose_days_are_free_again_finds_its_request(
    family, parent, activity, children
):
    first = submit(
        family, parent, activity, children[:1], D(2026, 12, 3), D(2026, 12, 3), submission_key="r"
    )
    # As if its bookings had gone: the short way predicts a place, the request's unique key
    # refuses the insert, and the careful way returns the first request.
    Booking.objects.all().delete()
    before = snapshot()
    again = submit(
        family, parent, activity, children[:1], D(2026, 12, 3), D(2026, 12, 3), submission_key="r"
    )
    assert again.pk == first.pk
    assert snapshot() == before


def test_a_slot_given_that_left_the_calendar_is_refused(family, parent, activity, children):
    from planning.services import one_day

    slot = Slot.objects.select_related("activity").get(activity=activity, date=D(2026, 12, 3))
    Slot.objects.filter(pk=slot.pk).update(is_orphan=True)  # after the page read it
    before = snapshot()
    with pytest.raises(PlanningError, match="Aucun jour"):
        request_submit(
            family=family,
            user=parent,
            kind=Kind.RESERVATION,
            received_at=NOW,
            **one_day(child=children[0], slot=slot),
        )
    assert snapshot() == before
