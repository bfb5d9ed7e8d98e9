"""Registration rush: thousands of parents confirm the opening day of a holiday centre at once.

    .venv/bin/python bench/registration_rush.py [--parents 2500] [--places 300] [--workers 4]
        [--threads 8] [--concurrency 200] [--db postgres://postgres@127.0.0.1:5432/portail_rush]

1. (Re)creates its own PostgreSQL database (its name must contain "rush"), migrates it, and
   fills it with bulk inserts: a collectivity on ``rush.localhost``, a holiday-centre activity
   of ``--places`` places that needs no agent's approval, with one slot (the opening day), and
   ``--parents`` families, each with one enrolled child and one parent account logged in (a
   session row written directly: no password hashing).
2. Starts gunicorn (production settings, gthread workers) on a free loopback port.
3. Every parent is one client thread with its own session: it opens the confirmation page of
   ``planning:request_day`` (CSRF cookie, one-time ``submission_key``), then waits; all are
   released together and POST the reservation. ``--concurrency`` caps the requests in flight
   at once (0: no cap, every parent connects at the same instant).
   Before the rush, ``--sequential`` parents book another activity one at a time (the first
   half only warms the workers up): the slot lock uncontended.
4. Prints the figures: throughput and latencies; per phase, the time the slot lock is held
   per booking and the statements run under it (``PORTAL_LOCK_STATS``, see
   ``planning/lock_stats.py``), the ceiling they imply (1 / median hold), the server's CPU
   per booking (gunicorn's processes and the database's backends, from the kernel's
   accounting in /proc); the largest arrival inversion. Then checks in the database: exactly
   ``--places`` holders (never more), no place given to a later arrival while an earlier
   request that had already finished waits, the waiting list in arrival order (the server's
   ``received_at`` stamp). Exits 1 when a check fails or a request errored.

A benchmark, not a test: it prints figures, it asserts no timing.
"""

import argparse
import datetime
import http.client
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench_database import database_create

ROOT = Path(__file__).resolve().parents[1]
HOST = "rush.localhost"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portail_rush"
HTTP_TIMEOUT = 600


# --------------------------------------------------------------------------- arguments


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parents", type=int, default=2500, help="families (one child each)")
    parser.add_argument("--places", type=int, default=300, help="capacity of the slot")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=200,
        help="requests in flight at once (0: every parent at the same instant)",
    )
    parser.add_argument(
        "--sequential",
        type=int,
        default=100,
        help="parents who first book, one at a time, another activity (the lock uncontended); "
        "the first half warms the server's workers up, the second half is measured",
    )
    parser.add_argument("--db", default=DEFAULT_DB, help="PostgreSQL URL of the bench database")
    parser.add_argument(
        "--redis",
        default="",
        help="REDIS_URL of the server (cache and task broker, as a deployment has them; "
        "default: none, the file cache and the ORM broker); the database number is flushed",
    )
    parser.add_argument(
        "--settings",
        choices=["production", "dev"],
        default="production",
        help="settings module of the server (dev runs with DEBUG off)",
    )
    args = parser.parse_args(argv)
    if args.parents < 1 or args.places < 1 or args.workers < 1 or args.threads < 1:
        parser.error("--parents, --places, --workers and --threads must be positive")
    if args.concurrency < 0:
        parser.error("--concurrency must be 0 or more")
    if not 0 <= args.sequential <= args.parents:
        parser.error("--sequential must be between 0 and --parents")
    return args


# --------------------------------------------------------------------------- database


MARKER = "rush"  # the bench database's name must contain it


def server_environment(args, var_dir: Path) -> dict[str, str]:
    """What the settings read from the environment, for this process and for gunicorn."""
    return {
        "DJANGO_SETTINGS_MODULE": f"portal.settings.{args.settings}",
        "DATABASE_URL": args.db,
        # Long enough for the whole run: a backend that exits would take its CPU figures away.
        "DATABASE_CONN_MAX_AGE": "3600",
        "PORTAL_LOCK_STATS": str(var_dir / "locks.jsonl"),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DEBUG": "false",
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1,localhost",
        # Plain HTTP on loopback: no TLS terminator in front of this gunicorn.
        "SECURE_SSL_REDIRECT": "false",
        "PORTAL_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        **({"REDIS_URL": args.redis} if args.redis else {}),
    }


def opening_day() -> datetime.date:
    """A weekday three weeks ahead that is not a public holiday: inside every notice."""
    from django.utils import timezone

    import holidays

    day = timezone.localdate() + datetime.timedelta(days=21)
    closed = holidays.France(years=[day.year, day.year + 1])
    while day.weekday() >= 5 or day in closed:
        day += datetime.timedelta(days=1)
    return day


@dataclass
class Fixture:
    slot_id: int
    activity_id: int
    parents: list[tuple[int, str]]  # (child id, session key)
    sequential_slot_id: int = 0  # the activity booked one parent at a time first


def populate(*, parents: int, places: int, sequential: int = 0) -> Fixture:
    """The collectivity, the activity and its slot, and the families, all by bulk inserts;
    the first ``sequential`` children are also enrolled in a second activity (places for
    three quarters of them: the measured second half gets places and waiting positions)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from cms_pages.services import collectivity_site_create
    from family.models import Child, Family, Subscription
    from planning.models import Activity, Enrolment, Slot
    from portal.models import User

    collectivity = collectivity_site_create(
        name="Ville de Ruée",
        hostname=HOST,
        home={
            "title": "Accueil",
            "welcome_title": "Bienvenue",
            "welcome_text": "<p>Le portail des familles.</p>",
            "tiles": [],
        },
    )
    day = opening_day()
    with transaction.atomic():
        activity = Activity.objects.create(
            collectivity=collectivity,
            name="Accueil de loisirs — vacances",
            kind=Activity.Kind.HOLIDAY_CENTRE,
            place="Centre de loisirs des Tilleuls",
            start_date=day,
            end_date=day,
            weekdays=[day.weekday()],
            opening=Activity.Opening.ALL_YEAR,
            start_time=datetime.time(8, 30),
            end_time=datetime.time(17, 30),
            capacity=places,
            requires_approval=False,
            booking_notice_days=2,
        )
        slot = Slot.objects.create(
            activity=activity,
            date=day,
            start_time=activity.start_time,
            end_time=activity.end_time,
            capacity=places,
        )
        quiet = Activity.objects.create(
            collectivity=collectivity,
            name="Mini-séjour — réservations une à une",
            kind=Activity.Kind.HOLIDAY_CENTRE,
            start_date=day,
            end_date=day,
            weekdays=[day.weekday()],
            opening=Activity.Opening.ALL_YEAR,
            start_time=datetime.time(9, 0),
            end_time=datetime.time(17, 0),
            capacity=max(sequential * 3 // 4, 1),
            requires_approval=False,
            booking_notice_days=2,
        )
        quiet_slot = Slot.objects.create(
            activity=quiet,
            date=day,
            start_time=quiet.start_time,
            end_time=quiet.end_time,
            capacity=quiet.capacity,
        )
        unusable = make_password(None)
        users = User.objects.bulk_create(
            User(email=f"parent{n:05d}@ruee.example", first_name="Parent", password=unusable)
            for n in range(parents)
        )
        families = Family.objects.bulk_create(
            Family(collectivity=collectivity, name=f"Famille {n:05d}") for n in range(parents)
        )
        Subscription.objects.bulk_create(
            Subscription(user=user, family=family)
            for user, family in zip(users, families, strict=True)
        )
        children = Child.objects.bulk_create(
            Child(
                family=family,
                first_name=f"Enfant {n:05d}",
                last_name=family.name,
                birth_date=datetime.date(2018, 5, 4),
            )
            for n, family in enumerate(families)
        )
        Enrolment.objects.bulk_create(
            Enrolment(
                child=child,
                activity=activity,
                start_date=day,
                end_date=day,
                status=Enrolment.Status.ACCEPTED,
                decided_at=timezone.now(),
            )
            for child in children
        )
        Enrolment.objects.bulk_create(
            Enrolment(
                child=child,
                activity=quiet,
                start_date=day,
                end_date=day,
                status=Enrolment.Status.ACCEPTED,
                decided_at=timezone.now(),
            )
            for child in children[:sequential]
        )
        store = SessionStore()
        expire = timezone.now() + datetime.timedelta(days=1)
        sessions = [
            Session(
                session_key=get_random_string(32, VALID_KEY_CHARS),
                session_data=store.encode(
                    {
                        SESSION_KEY: str(user.pk),
                        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: user.get_session_auth_hash(),
                    }
                ),
                expire_date=expire,
            )
            for user in users
        ]
        Session.objects.bulk_create(sessions, batch_size=1000)
    return Fixture(
        slot_id=slot.pk,
        activity_id=activity.pk,
        parents=[
            (child.pk, session.session_key)
            for child, session in zip(children, sessions, strict=True)
        ],
        sequential_slot_id=quiet_slot.pk,
    )


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(args, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        "gthread",
        "--backlog",
        "4096",
        "--worker-connections",
        "4096",
        "--timeout",
        "300",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
    ]
    return subprocess.Popen(  # noqa: S603 — our own interpreter, fixed arguments
        command, cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.DEVNULL
    )


def server_wait(server: subprocess.Popen, port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz/", headers={"Host": "127.0.0.1"})
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz/ in time")


def server_stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --------------------------------------------------------------------------- clients


class FormInputs(HTMLParser):
    """The fields a browser would submit from the POST form whose action is ``action``."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.in_form = False
        self.found = False
        self.button_taken = False
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            target = urlsplit(attrs.get("action") or self.action).path
            self.in_form = method == "post" and target == self.action and not self.found
            self.found = self.found or self.in_form
        elif self.in_form and tag in {"input", "button"} and attrs.get("name"):
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            if kind == "submit":
                if not self.button_taken:
                    self.fields[attrs["name"]] = attrs.get("value") or ""
                    self.button_taken = True
            elif kind not in {"checkbox", "radio"} or "checked" in attrs:
                self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False


@dataclass
class Parent:
    child_id: int
    session_key: str
    path: str
    cookies: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    get_status: int = 0
    get_seconds: float = 0.0
    post_status: int = 0
    post_seconds: float = 0.0  # from sending the POST to its response (in flight)
    post_wait: float = 0.0  # from the release of all parents to the response
    finished: float = 0.0  # wall clock (time.time) when the POST's response came back
    error: str = ""


def _exchange(port: int, method: str, parent: Parent, body: str = ""):
    headers = {
        "Host": HOST,
        "Connection": "close",
        "Cookie": "; ".join(f"{k}={v}" for k, v in parent.cookies.items()),
    }
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        conn.request(method, parent.path, body=body or None, headers=headers)
        response = conn.getresponse()
        content = response.read()
    finally:
        conn.close()
    return response, content


def parent_get(parent: Parent, *, port) -> None:
    """Open the confirmation page: session and CSRF cookies, the form's fields."""
    try:
        begin = time.perf_counter()
        response, content = _exchange(port, "GET", parent)
        parent.get_seconds = time.perf_counter() - begin
        parent.get_status = response.status
        jar = SimpleCookie()
        for header in response.msg.get_all("Set-Cookie") or []:
            jar.load(header)
        parent.cookies.update({name: morsel.value for name, morsel in jar.items()})
        form = FormInputs(parent.path)
        form.feed(content.decode("utf-8", "replace"))
        parent.fields = form.fields
        if response.status != 200 or "submission_key" not in form.fields:
            parent.error = f"GET {response.status}: no confirmation form"
    except Exception as exc:  # the figures count it; the run goes on
        parent.error = f"GET {type(exc).__name__}: {exc}"


def parent_post(parent: Parent, *, port, started: float) -> None:
    """Confirm the reservation (« Confirmer la demande »)."""
    if parent.error:
        return
    try:
        begin = time.perf_counter()
        response, _content = _exchange(port, "POST", parent, urlencode(parent.fields))
        end = time.perf_counter()
        parent.finished = time.time()
        parent.post_status = response.status
        parent.post_seconds = end - begin
        parent.post_wait = end - started
    except Exception as exc:
        parent.error = f"POST {type(exc).__name__}: {exc}"


def parent_run(parent: Parent, *, port, gate, ready, release, started):
    """Open the confirmation page, wait for the release, confirm the reservation."""
    with gate:
        parent_get(parent, port=port)
    ready.wait()  # everyone has the page (or failed): the rush starts together
    release.wait()
    with gate:
        parent_post(parent, port=port, started=started[0])


def parents_build(fixture: Fixture, *, slot_id: int | None = None, count=None) -> list[Parent]:
    from django.conf import settings
    from django.urls import reverse

    slot_id = slot_id or fixture.slot_id
    return [
        Parent(
            child_id=child_id,
            session_key=key,
            path=reverse("planning:request_day", args=[slot_id, child_id, "reservation"]),
            cookies={settings.SESSION_COOKIE_NAME: key},
        )
        for child_id, key in fixture.parents[:count]
    ]


def one_at_a_time(parents: list[Parent], *, port: int, on_posts=None) -> float:
    """Every parent opens the page; then each confirms, the next one only after the last
    response (no contention). ``on_posts`` is called before the first POST. Returns the
    seconds the POSTs took."""
    for parent in parents:
        parent_get(parent, port=port)
    if on_posts is not None:
        on_posts()
    start = time.perf_counter()
    for parent in parents:
        parent_post(parent, port=port, started=start)
    return time.perf_counter() - start


def rush(parents: list[Parent], *, port: int, concurrency: int, on_release=None) -> float:
    """Run every parent; return the seconds from the release to the last response
    (``on_release`` is called just before the parents are released)."""
    gate = threading.BoundedSemaphore(concurrency) if concurrency else _NoGate()
    ready = threading.Barrier(len(parents) + 1)
    release = threading.Event()
    started = [0.0]
    threading.stack_size(512 * 1024)
    threads = [
        threading.Thread(
            target=parent_run,
            args=(parent,),
            kwargs={
                "port": port,
                "gate": gate,
                "ready": ready,
                "release": release,
                "started": started,
            },
            daemon=True,
        )
        for parent in parents
    ]
    for thread in threads:
        thread.start()
    ready.wait()  # every confirmation page is open
    if on_release is not None:
        on_release()
    started[0] = time.perf_counter()
    release.set()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started[0]


class _NoGate:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --------------------------------------------------------------------------- report


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0] * 1000:.0f} ms"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return (
        f"p50 {cuts[49] * 1000:.0f} ms · p95 {cuts[94] * 1000:.0f} ms · "
        f"p99 {cuts[98] * 1000:.0f} ms · max {max(values) * 1000:.0f} ms"
    )


# --------------------------------------------------------------------------- accounting


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> tuple[int, float]:
    """(parent pid, CPU seconds) of a process from the kernel's accounting (/proc/PID/stat:
    user + system time, its own and that of its children it has waited for)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, 0.0
    fields = raw[raw.rindex(")") + 2 :].split()
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return ppid, (utime + stime + cutime + cstime) / CLOCK_TICKS


def gunicorn_cpu(master: int) -> float:
    """CPU seconds of the gunicorn master and its workers."""
    total = _proc_cpu(master)[1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ppid, seconds = _proc_cpu(int(entry.name))
            if ppid == master:
                total += seconds
    return total


def postgres_cpu() -> dict[int, float]:
    """CPU seconds per PostgreSQL backend connected to the bench database (the server's own
    background processes, shared with the machine's other databases, are left out)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    return {pid: _proc_cpu(pid)[1] for pid in pids}


def redis_cpu() -> float:
    """CPU seconds of the machine's Redis server (its processes named redis-server)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                name = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if name == "redis-server":
                total += _proc_cpu(int(entry.name))[1]
    return total


@dataclass
class CpuSample:
    web: float
    database: dict[int, float]
    cache: float = 0.0

    @classmethod
    def take(cls, master: int, *, redis: bool = False) -> "CpuSample":
        return cls(gunicorn_cpu(master), postgres_cpu(), redis_cpu() if redis else 0.0)

    def since(self, before: "CpuSample") -> tuple[float, float, float]:
        database = sum(
            seconds - before.database.get(pid, 0.0) for pid, seconds in self.database.items()
        )
        return self.web - before.web, database, self.cache - before.cache


def lock_holds(path: Path) -> dict:
    """The lines ``planning.lock_stats`` appended, then the file is emptied for the next
    phase."""
    import json

    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    path.unlink(missing_ok=True)
    holds = [row for row in rows if "hold" in row]
    return {
        "holds": [row["hold"] for row in holds],
        "waits": [row["wait"] for row in holds],
        "statements": [row["statements"] for row in holds],
        "paths": {p: sum(1 for row in holds if row["path"] == p) for p in ("ahead", "locked")},
        "mispredicted": sum(1 for row in rows if "mispredicted" in row),
    }


def _quantile(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def lock_report(label: str, stats: dict, *, bookings: int, cpu: tuple[float, ...]) -> None:
    holds, waits, statements = stats["holds"], stats["waits"], stats["statements"]
    web, database, redis = cpu
    print(f"  {label}:")
    if holds:
        median = statistics.median(holds)
        print(
            f"    slot lock held per booking: median {median * 1000:.2f} ms · "
            f"p95 {_quantile(holds, 95) * 1000:.2f} ms · max {max(holds) * 1000:.2f} ms "
            f"→ ceiling for one activity {1 / median:.0f} bookings/s (1 / median hold)"
        )
        print(
            f"    waiting for the lock: median {statistics.median(waits) * 1000:.2f} ms · "
            f"p95 {_quantile(waits, 95) * 1000:.2f} ms"
        )
        print(
            f"    statements under the lock (COMMIT aside): median "
            f"{statistics.median(statements):.0f} · max {max(statements)} · "
            f"short way {stats['paths']['ahead']}, lock first {stats['paths']['locked']}, "
            f"wrong predictions redone {stats['mispredicted']}"
        )
    if bookings:
        with_redis = f" + Redis {redis / bookings * 1000:.1f} ms" if redis else ""
        print(
            f"    server CPU per booking: {(web + database + redis) / bookings * 1000:.1f} ms "
            f"(gunicorn {web / bookings * 1000:.1f} ms + PostgreSQL "
            f"{database / bookings * 1000:.1f} ms{with_redis}, kernel accounting of the "
            "POSTs' span)"
        )


def arrival_inversions(fixture: Fixture, parents: list[Parent]):
    """(largest inversion in seconds, pairs, unexplained pairs): a later arrival holding a
    place while an earlier one waits; unexplained when the earlier request had finished
    before the later one arrived (the lock would then have seen it)."""
    from planning.models import Booking, BookingRequest

    arrival = {
        child: received.timestamp()
        for child, received in BookingRequest.objects.filter(
            activity_id=fixture.activity_id
        ).values_list("lines__child_id", "received_at")
    }
    bookings = Booking.objects.filter(slot_id=fixture.slot_id)
    holders = list(
        bookings.filter(state__in=Booking.HOLDS_PLACE).values_list("child_id", flat=True)
    )
    waiting = list(bookings.filter(state=Booking.State.WAITING).values_list("child_id", flat=True))
    finished = {parent.child_id: parent.finished for parent in parents}
    # The waiters sorted by arrival: for each holder, the earliest waiter gives its largest gap.
    waiting.sort(key=arrival.__getitem__)
    largest, pairs, unexplained = 0.0, 0, 0
    for holder in holders:
        for waiter in waiting:
            gap = arrival[holder] - arrival[waiter]
            if gap <= 0:
                break
            pairs += 1
            largest = max(largest, gap)
            if finished[waiter] and finished[waiter] <= arrival[holder]:
                unexplained += 1
    return largest, pairs, unexplained


def database_checks(
    fixture: Fixture, *, parents: int, places: int, unexplained: int
) -> list[tuple[str, bool]]:
    """The outcome as the database holds it: never oversold, first come first served."""
    from planning.models import Booking, BookingRequest

    requests = list(
        BookingRequest.objects.filter(activity_id=fixture.activity_id)
        .order_by("received_at", "pk")
        .prefetch_related("lines")
    )
    arrival = [line.child_id for request in requests for line in request.lines.all()]
    bookings = Booking.objects.filter(slot_id=fixture.slot_id)
    holders = set(bookings.filter(state__in=Booking.HOLDS_PLACE).values_list("child", flat=True))
    waiting = list(
        bookings.filter(state=Booking.State.WAITING)
        .order_by("queued_at", "pk")
        .values_list("child", flat=True)
    )
    expected_holders = min(places, parents)
    return [
        (f"requests recorded: {len(requests)} (expected {parents})", len(requests) == parents),
        (f"one line per request: {len(arrival)}", len(arrival) == parents),
        (f"never oversold: {len(holders)} holders ≤ {places}", len(holders) <= places),
        (
            f"slot full: {len(holders)} holders == {expected_holders}",
            len(holders) == expected_holders,
        ),
        (
            f"waiting list: {len(waiting)} (expected {parents - expected_holders})",
            len(waiting) == parents - expected_holders,
        ),
        (
            "first come, first served: no place went to a later arrival while an earlier "
            f"request that had already finished waits ({unexplained} found)",
            unexplained == 0,
        ),
        (
            "waiting list in arrival order (queued_at, pk) == (request received_at, pk)",
            waiting == [child for child in arrival if child not in holders],
        ),
    ]


def main(argv=None) -> int:
    args = arguments(argv)
    var_dir = Path(tempfile.mkdtemp(prefix="portail-rush-"))
    env = server_environment(args, var_dir)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    clock = time.perf_counter()
    database_create(args.db, marker=MARKER)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0, interactive=False)
    if args.redis:
        from django.core.cache import cache

        cache.clear()  # a previous run's entries and queued tasks (FLUSHDB of that number)
    if args.settings == "production":
        call_command("collectstatic", verbosity=0, interactive=False)
    migrated = time.perf_counter() - clock
    clock = time.perf_counter()
    fixture = populate(parents=args.parents, places=args.places, sequential=args.sequential)
    populated = time.perf_counter() - clock
    parents = parents_build(fixture)
    quiet = parents_build(fixture, slot_id=fixture.sequential_slot_id, count=args.sequential)
    connections.close_all()

    port = free_port()
    log = var_dir / "gunicorn.log"
    locks = var_dir / "locks.jsonl"
    server = server_start(args, env, port, log)
    samples: dict[str, CpuSample] = {}
    try:
        server_wait(server, port)

        def sample(name):
            return lambda: samples.__setitem__(
                name, CpuSample.take(server.pid, redis=bool(args.redis))
            )

        warm, quiet = quiet[: len(quiet) // 2], quiet[len(quiet) // 2 :]
        one_at_a_time(warm, port=port)  # every worker has served a POST: no first-time costs
        lock_holds(locks)
        quiet_elapsed = one_at_a_time(quiet, port=port, on_posts=sample("quiet"))
        sample("quiet_end")()
        quiet_locks = lock_holds(locks)
        elapsed = rush(parents, port=port, concurrency=args.concurrency, on_release=sample("rush"))
        sample("rush_end")()
        rush_locks = lock_holds(locks)
    finally:
        server_stop(server)

    gets = [p for p in parents if p.get_status == 200]
    posts = [p for p in parents if p.post_status]
    errors = [p for p in parents if p.error or (p.post_status and p.post_status >= 400)]
    print(f"Registration rush — {args.parents} parents, {args.places} places")
    print(
        f"server: gunicorn {args.workers} workers × {args.threads} threads "
        f"(gthread, settings {args.settings}), PostgreSQL, "
        f"{'Redis (cache and task broker)' if args.redis else 'file cache and ORM broker'}; "
        f"clients: {args.parents} threads, {args.concurrency or 'no cap on'} in flight; "
        f"machine: {os.cpu_count()} CPU cores"
    )
    print(
        f"set-up: database, migrations and static files {migrated:.1f} s; "
        f"{args.parents} families (bulk inserts) {populated:.1f} s"
    )
    print(
        f"confirmation page (GET): {len(gets)} × 200 · {percentiles([p.get_seconds for p in gets])}"
    )
    print(f"rush (POST): total {elapsed:.2f} s · {len(posts) / elapsed:.0f} bookings/s")
    print(f"  latency in flight: {percentiles([p.post_seconds for p in posts])}")
    print(f"  parent's wait since release: {percentiles([p.post_wait for p in posts])}")
    statuses: dict[int, int] = {}
    for parent in posts:
        statuses[parent.post_status] = statuses.get(parent.post_status, 0) + 1
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    print(f"  errors (non-2xx/3xx or exceptions): {len(errors)}")
    for parent in errors[:5]:
        print(f"    child {parent.child_id}: {parent.error or parent.post_status}")

    quiet_posts = [p for p in quiet if p.post_status]
    print("the slot lock and the server's CPU:")
    lock_report(
        f"{len(quiet_posts)} parents one at a time, after {len(warm)} to warm up (another "
        f"activity, {max(args.sequential * 3 // 4, 1)} places; POSTs {quiet_elapsed:.1f} s)",
        quiet_locks,
        bookings=len(quiet_posts),
        cpu=samples["quiet_end"].since(samples["quiet"]),
    )
    lock_report(
        f"the rush ({len(posts)} POSTs)",
        rush_locks,
        bookings=len(posts),
        cpu=samples["rush_end"].since(samples["rush"]),
    )
    largest, pairs, unexplained = arrival_inversions(fixture, parents)
    print(
        f"fairness: largest arrival inversion {largest * 1000:.1f} ms ({pairs} pairs of a "
        "later arrival holding a place while an earlier one waits; arrival = the server's "
        "stamp when it received the confirmation)"
    )
    errors += [p for p in warm + quiet if p.error or (p.post_status and p.post_status >= 400)]
    checks = database_checks(
        fixture, parents=args.parents, places=args.places, unexplained=unexplained
    )
    connections.close_all()
    print("checks:")
    for label, ok in checks:
        print(f"  [{'OK' if ok else 'FAILED'}] {label}")
    failed = bool(errors) or not all(ok for _label, ok in checks)
    if failed:
        if log.exists():
            print(f"gunicorn log ({log}), last lines:")
            print("\n".join(log.read_text().splitlines()[-30:]))
        return 1
    shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    # The bench builds and checks a whole collectivity from outside any request: an explicit,
    # deployment-wide scope. The pages it measures still run in their host's scope.
    with scopes_disabled():
        sys.exit(main())
