"""A real ``manage.py qcluster`` process, its real scheduler and the installed schedules: with
a digest due in the database, the cluster sends it (the test waits for the outbox row to be
« Envoyé » and for the e-mail on the cluster's console backend).

The database is this test's, committed (``transaction=True``): on SQLite, copied to a file
with SQLite's backup API; on PostgreSQL, the test database itself."""

import datetime
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

import pytest

from family.models import ChangeRequest, Guardian
from family.services import change_request_refuse, change_request_submit
from notifications.models import DigestCursor, OutboxEmail, TimelineEvent
from notifications.windows import boundary_at_or_before
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
BASE_DIR = Path(settings.BASE_DIR)


def _database_url(tmp_path) -> str:
    if connection.vendor == "sqlite":
        target = tmp_path / "portail.sqlite3"
        with sqlite3.connect(target) as copy:
            connection.ensure_connection()
            connection.connection.backup(copy)
        return f"sqlite:///{target}"
    params = connection.settings_dict
    return (
        f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
        f"/{params['NAME']}"
    )


def _sent(url: str) -> list[tuple]:
    query = "SELECT status, subject FROM notifications_outboxemail WHERE idempotency_key LIKE 'digest:%'"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute(query).fetchall()
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


def test_a_real_cluster_sends_the_due_digest(tmp_path, collectivity_a, agent_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    guardian = Guardian.objects.create(family=family, rank=1, last_name="Dupont", first_name="A")
    parent = UserFactory(email="parent.cluster@example.test")
    SubscriptionFactory(user=parent, family=family)
    request = change_request_submit(
        family=family,
        target=ChangeRequest.Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"city": "Blois"},
        by=parent,
    )
    change_request_refuse(change_request=request, by=agent_a, reason="Pièce manquante")
    # The decision was made in the last window that ended; the cursor stands at its start.
    hours = collectivity_a.digest_hours
    end = boundary_at_or_before(hours, timezone.now() - datetime.timedelta(minutes=2))
    start = boundary_at_or_before(hours, end - datetime.timedelta(microseconds=1))
    TimelineEvent.objects.filter(digest=True).update(
        created_at=end - datetime.timedelta(minutes=30)
    )
    DigestCursor.objects.create(collectivity=collectivity_a, window_end=start)
    OutboxEmail.objects.all().delete()
    call_command("schedules_install")

    url = _database_url(tmp_path)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "DATABASE_URL": url,
        "PORTAL_VAR_DIR": str(tmp_path),
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "Q_WORKERS": "1",
        "REDIS_URL": "",
    }
    log = open(tmp_path / "qcluster.log", "w+")  # noqa: SIM115 -- read after the process ends
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 150  # the scheduler's first run comes ~30 s after start
        rows = []
        while time.monotonic() < deadline:
            rows = _sent(url)
            if rows and all(status == "sent" for status, _subject in rows):
                break
            assert cluster.poll() is None, (tmp_path / "qcluster.log").read_text()
            time.sleep(2)
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
    output = (tmp_path / "qcluster.log").read_text()
    assert rows == [("sent", "[Ville de Alpha] Récapitulatif : 1 décision sur vos demandes")], (
        output
    )
    assert "To: parent.cluster@example.test" in output
