"""Decision digests: each decision lands in exactly one window, each family gets one e-mail
per window, whatever happens to the task (run twice, crashed half-way, cluster down)."""

import datetime
from zoneinfo import ZoneInfo

from django.core import mail

import pytest
import time_machine

from family.models import ChangeRequest, Guardian
from family.services import change_request_accept, change_request_refuse, change_request_submit
from notifications import digests
from notifications.models import DigestCursor, NotificationPreference, OutboxEmail
from notifications.services import preference_set
from notifications.windows import first_start, window_containing, windows_from
from portal.models import digest_times_parse
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
HOURS = digest_times_parse("13:00 18:00")


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 12):
    return datetime.datetime(2026, month, day, hour, minute, second, tzinfo=PARIS)


# --- the windows, as pure functions


@pytest.mark.parametrize(
    "moment, start, end",
    [
        (at(2, 12, 59, 59), at(1, 18), at(2, 13)),
        (at(2, 13), at(2, 13), at(2, 18)),
        (at(2, 17, 59, 59), at(2, 13), at(2, 18)),
        (at(2, 18), at(2, 18), at(3, 13)),
        (at(2, 0, 30), at(1, 18), at(2, 13)),
    ],
)
def test_windows_are_half_open(moment, start, end):
    assert window_containing(HOURS, moment) == (start, end)


def test_windows_after_a_cursor_follow_each_other_without_gap():
    windows = windows_from(HOURS, at(1, 18), at(2, 19, 30))
    assert windows == [(at(1, 18), at(2, 13)), (at(2, 13), at(2, 18))]
    assert windows_from(HOURS, at(2, 18), at(2, 19, 30)) == []


def test_the_first_run_starts_with_the_last_window_ended():
    assert first_start(HOURS, at(2, 13, 1)) == at(1, 18)
    assert first_start(HOURS, at(2, 12, 0)) == at(1, 13)


def test_other_hours_make_other_windows():
    hours = digest_times_parse("8:00 12:30 17:00")
    assert window_containing(hours, at(2, 12, 29)) == (at(2, 8), at(2, 12, 30))
    assert window_containing(hours, at(2, 20)) == (at(2, 17), at(3, 8))


def test_a_day_when_the_clocks_change_still_has_its_windows():
    # 25 October 2026: clocks go back at 03:00; windows are local hours all the same.
    start, end = window_containing(HOURS, at(25, 14, month=10))
    assert (start, end) == (at(25, 13, month=10), at(25, 18, month=10))


# --- the digests


@pytest.fixture
def family(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(family=family, rank=1, last_name="Dupont", first_name="Léa")
    return family


@pytest.fixture
def parent(family):
    user = UserFactory(email="lea.dupont@example.test", first_name="Léa", last_name="Dupont")
    SubscriptionFactory(user=user, family=family)
    return user


def _request(family, parent, city="Orléans"):
    guardian = family.guardians.get(rank=1)
    return change_request_submit(
        family=family,
        target=ChangeRequest.Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"city": city},
        by=parent,
    )


def _decide_at(moment, family, parent, agent, *, refuse=False, city="Orléans"):
    with time_machine.travel(moment, tick=False):
        request = _request(family, parent, city=city)
        if refuse:
            change_request_refuse(change_request=request, by=agent, reason="Justificatif absent")
        else:
            change_request_accept(change_request=request, by=agent)
    return request


def _digests():
    return list(OutboxEmail.objects.filter(idempotency_key__startswith="digest:").order_by("pk"))


def _run(moment):
    with time_machine.travel(moment, tick=False):
        return digests.digests_send()


def _start_cursor(collectivity, end):
    DigestCursor.objects.update_or_create(collectivity=collectivity, defaults={"window_end": end})


def test_a_decision_is_not_emailed_on_its_own(family, parent, agent_a, collectivity_a):
    _decide_at(at(2, 10), family, parent, agent_a)
    subjects = list(OutboxEmail.objects.values_list("subject", flat=True))
    # Only the acknowledgement of receipt: the decision waits for the digest.
    assert len(subjects) == 1
    assert "Accusé de réception" in subjects[0]


@pytest.mark.parametrize(
    "moment, window_end",
    [
        (at(2, 12, 59, 59), at(2, 13)),
        (at(2, 13, 0, 0), at(2, 18)),
        (at(2, 17, 59, 59), at(2, 18)),
        (at(2, 18, 0, 0), at(3, 13)),
    ],
)
def test_each_decision_lands_in_its_window(
    moment, window_end, family, parent, agent_a, collectivity_a
):
    _start_cursor(collectivity_a, at(1, 18))
    _decide_at(moment, family, parent, agent_a)
    _run(at(3, 13, 5))
    [digest] = _digests()
    assert digest.idempotency_key == digests.digest_key(
        family_id=family.pk, account_id=None, end=window_end
    )
    assert digest.to == [parent.email]
    assert "acceptée" in digest.body_text


def test_the_digest_lists_every_decision_of_the_window_grouped_with_reasons(
    family, parent, agent_a, collectivity_a
):
    _start_cursor(collectivity_a, at(1, 18))
    _decide_at(at(2, 9), family, parent, agent_a)
    _decide_at(at(2, 11), family, parent, agent_a, refuse=True, city="Tours")
    _run(at(2, 13, 1))
    [digest] = _digests()
    assert "2 décisions" in digest.subject
    assert "Motif : Justificatif absent" in digest.body_text
    assert "Modification du dossier : responsable" in digest.body_text
    assert "Demande faite par Léa Dupont" in digest.body_text
    assert digest.body_text.startswith("Ville de Alpha\n\nBonjour Léa Dupont,")
    assert "http://localhost/mon-espace/demandes/dossier/" in digest.body_text
    assert "http://localhost/mon-espace/preferences/" in digest.body_text
    assert "Motif : Justificatif absent" in digest.body_html


def test_an_empty_window_sends_nothing(family, parent, collectivity_a):
    _start_cursor(collectivity_a, at(1, 18))
    assert _run(at(2, 13, 1)) == 0
    assert _digests() == []
    assert DigestCursor.objects.get(collectivity=collectivity_a).window_end == at(2, 13)


def test_a_window_is_sent_only_after_its_grace(family, parent, agent_a, collectivity_a):
    _start_cursor(collectivity_a, at(1, 18))
    _decide_at(at(2, 12, 59, 59), family, parent, agent_a)
    assert _run(at(2, 13, 0, 30)) == 0
    assert _run(at(2, 13, 1)) == 1


def test_run_twice_sends_once(
    family, parent, agent_a, collectivity_a, django_capture_on_commit_callbacks
):
    _start_cursor(collectivity_a, at(1, 18))
    _decide_at(at(2, 10), family, parent, agent_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert _run(at(2, 13, 1)) == 1
    assert _run(at(2, 13, 2)) == 0
    DigestCursor.objects.filter(collectivity=collectivity_a).update(window_end=at(1, 18))
    assert _run(at(2, 13, 3)) == 0  # the cursor lost: the unique key still holds
    assert len(_digests()) == 1
    assert sum("Récapitulatif" in m.subject for m in mail.outbox) == 1


def test_a_run_killed_half_way_is_finished_by_the_next(collectivity_a, agent_a, monkeypatch):
    families = []
    for n in range(6):
        family = FamilyFactory(collectivity=collectivity_a, name=f"Famille{n}")
        Guardian.objects.create(family=family, rank=1, last_name=f"F{n}", first_name="A")
        parent = UserFactory(email=f"parent{n}@example.test")
        SubscriptionFactory(user=parent, family=family)
        families.append(family)
        _decide_at(at(2, 10, n), family, parent, agent_a)
    _start_cursor(collectivity_a, at(1, 18))
    monkeypatch.setattr(digests, "BATCH", 2)
    real = digests._batch_send
    calls = {"n": 0}

    def crash_on_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(digests, "_batch_send", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        _run(at(2, 13, 1))
    assert len(_digests()) == 2
    assert DigestCursor.objects.get(collectivity=collectivity_a).window_end == at(1, 18)
    monkeypatch.setattr(digests, "_batch_send", real)
    assert _run(at(2, 13, 5)) == 4
    keys = [d.idempotency_key for d in _digests()]
    assert len(keys) == len(set(keys)) == 6
    assert {d.family_id for d in _digests()} == {f.pk for f in families}


def test_a_cluster_down_from_noon_to_half_past_seven_sends_both_windows_once(
    family, parent, agent_a, collectivity_a
):
    _start_cursor(collectivity_a, at(1, 18))
    assert _run(at(2, 11, 59)) == 0  # the last run before the cluster stops
    _decide_at(at(2, 12, 30), family, parent, agent_a)
    _decide_at(at(2, 15), family, parent, agent_a, refuse=True, city="Blois")
    assert _run(at(2, 19, 30)) == 2  # the cluster is back
    assert _run(at(2, 19, 31)) == 0
    morning, evening = _digests()
    assert morning.idempotency_key.endswith("20261202T120000Z")  # 13:00 Paris
    assert evening.idempotency_key.endswith("20261202T170000Z")  # 18:00 Paris
    assert "acceptée" in morning.body_text and "Blois" not in morning.body_text
    assert "refusée" in evening.body_text


def test_a_collectivity_with_other_hours(family, parent, agent_a, collectivity_a):
    collectivity_a.digest_times = "9:00 16:30"
    collectivity_a.save()
    _start_cursor(collectivity_a, at(2, 9))
    _decide_at(at(2, 16, 29, 59), family, parent, agent_a)
    _decide_at(at(2, 16, 30), family, parent, agent_a, refuse=True, city="Blois")
    assert _run(at(2, 16, 31, 30)) == 1
    [first] = _digests()
    assert first.idempotency_key.endswith("20261202T153000Z")
    assert "refusée" not in first.body_text


def test_accounts_that_chose_at_once_get_each_decision_and_no_digest(
    family, parent, agent_a, collectivity_a
):
    other = UserFactory(email="marc.dupont@example.test")
    SubscriptionFactory(user=other, family=family)
    preference_set(account=other, decisions=NotificationPreference.Decisions.IMMEDIATE)
    _start_cursor(collectivity_a, at(1, 18))
    _decide_at(at(2, 10), family, parent, agent_a)
    [now] = OutboxEmail.objects.filter(idempotency_key__startswith="decision:")
    assert now.to == [other.email]
    assert "a répondu à votre demande" in now.body_text
    _run(at(2, 13, 1))
    [digest] = _digests()
    assert digest.to == [parent.email]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clusters_at_once_queue_one_digest_per_family(collectivity_a, agent_a, monkeypatch):
    """Two threads run the digest task at the same moment (two clusters): each family still
    gets one e-mail for the window. PostgreSQL only (SQLite serialises writers)."""
    import threading

    from django.db import connection

    from portal.scoping import scopes_disabled

    monkeypatch.setattr(digests, "_enqueue_batch", lambda ids: None)
    monkeypatch.setattr(digests, "BATCH", 3)
    for n in range(10):
        family = FamilyFactory(collectivity=collectivity_a, name=f"Famille{n}")
        Guardian.objects.create(family=family, rank=1, last_name=f"F{n}", first_name="A")
        parent = UserFactory(email=f"parent{n}@example.test")
        SubscriptionFactory(user=parent, family=family)
        _decide_at(at(2, 10, n), family, parent, agent_a)
    _start_cursor(collectivity_a, at(1, 18))
    barrier = threading.Barrier(2)
    results = []

    def work():
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                results.append(digests.digests_send(now=at(2, 13, 1)))
        except Exception as error:  # noqa: BLE001 -- reported to the main thread
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 10  # what each thread queued, together: every family once
    keys = [d.idempotency_key for d in _digests()]
    assert len(keys) == len(set(keys)) == 10


def test_no_health_data_in_any_email(family, parent, agent_a, collectivity_a):
    """A health change requested, accepted and refused, then the digest and the e-mails sent
    at once: none of them carries a health value (only that health data changed)."""
    from family.models import HealthRecord
    from tests.planning.factories import ChildFactory

    other = UserFactory(email="marc@example.test")
    SubscriptionFactory(user=other, family=family)
    preference_set(account=other, decisions=NotificationPreference.Decisions.IMMEDIATE)
    child = ChildFactory(family=family, first_name="Emma")
    HealthRecord.objects.create(child=child, allergies="ARACHIDE-SECRET", doctor_name="Dr Secret")
    _start_cursor(collectivity_a, at(1, 18))
    with time_machine.travel(at(2, 10), tick=False):
        for value in ("KIWI-SECRET", "LAIT-SECRET"):
            request = change_request_submit(
                family=family,
                target=ChangeRequest.Target.HEALTH,
                child=child,
                new_values={"allergies": value, "medical_notes": "ASTHME-SECRET"},
                by=parent,
            )
            if value.startswith("KIWI"):
                change_request_accept(change_request=request, by=agent_a)
            else:
                change_request_refuse(change_request=request, by=agent_a, reason="Pièce à joindre")
    _run(at(2, 13, 1))
    emails = list(OutboxEmail.objects.all())
    assert {e.idempotency_key.split(":")[0] for e in emails} >= {"digest", "decision"}
    for email in emails:
        for secret in ("SECRET", "Dr Secret"):
            assert secret not in email.subject + email.body_text + email.body_html, email.subject
    [digest] = _digests()
    assert "données sanitaires de Emma" in digest.body_text
