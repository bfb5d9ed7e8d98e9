"""Decision digest of one window in a large collectivity: duration, peak memory, queries.

    .venv/bin/python bench/digest_window.py [--families 20000] [--decisions 50000]
        [--db postgres://postgres@127.0.0.1:5432/portail_digest_bench] [--rebuild] [--profile]

1. Builds (or reuses, when its figures match) its own PostgreSQL database (its name must
   contain "digest"; never the test or dev database), migrated with the production settings:
   a collectivity on ``digest.localhost`` (digest hours 13:00 and 18:00), three activities with
   their December 2026 slots, an agent, and ``--families`` families, each with a guardian, 1–3
   children and one subscribed account with an e-mail. ``--decisions`` decisions are spread
   over the families (1, 2, 3 or 5 each) inside the 13:00 window of 2 December 2026 (Europe/
   Paris: from 18:00 the day before to 12:59:59), as real requests — dossier changes
   (``ChangeRequest``, refused with a reason or accepted) and reservations (``BookingRequest``
   with one line, accepted, partly accepted or refused) — each with its decision on the
   timeline (``TimelineEvent``, ``digest=True``) and, an hour earlier, the family's own
   submission (``digest=False``, sometimes outside the window). Requests and lines go in with
   ``bulk_create``, timeline events with COPY, then ``ANALYZE``. The measures run in a new
   process (``exec``), so that its maximum RSS is the digest's, not the migrations' or the
   build's.
2. Measures ``notifications.digests.window_send`` on that window, deployment-wide
   (``scopes_disabled()``), after deleting the digest e-mails of a previous run: its duration,
   its queries (``connection.execute_wrapper``: count, time in the database, by statement and
   table), the ``async_task`` calls (one per batch), and the growth of the process's maximum
   RSS; then the same again under ``tracemalloc`` for the peak of Python memory (a separate
   pass: tracing slows the code down); then a rerun of the same window, which must queue 0.

A benchmark, not a test: it prints figures and asserts no timing.
"""

import argparse
import datetime
import gc
import json
import os
import re
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from bench_database import database_create, database_name

ROOT = Path(__file__).resolve().parents[1]
HOST = "digest.localhost"
NAME = "Ville de Banc-d'Essai"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portail_digest_bench"
PARIS = ZoneInfo("Europe/Paris")
# The 13:00 window of 2 December 2026 with the default hours (13:00, 18:00).
WINDOW_START = datetime.datetime(2026, 12, 1, 18, 0, tzinfo=PARIS)
WINDOW_END = datetime.datetime(2026, 12, 2, 13, 0, tzinfo=PARIS)
DECISION_MIX = (1, 2, 3, 5, 1, 3)  # decisions per family, 2.5 on average
FAMILY_SIZES = (1, 2, 3, 2, 1, 2)  # children per family
FIRST_NAMES = ("Léa", "Hugo", "Inès", "Noah", "Jade", "Louis", "Emma", "Gabriel")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand")
REASONS = (
    "le justificatif de domicile fourni n'est pas lisible, merci d'en déposer un autre.",
    "le délai de prévenance de deux jours ouvrés n'est pas respecté.",
    "l'accueil est complet ce jour-là.",
    "la pièce d'identité du responsable est expirée.",
)
AGENT_EMAIL = "agent.digest@example.test"
MARKER = "digest"  # the bench database's name must contain it
MEASURING = "DIGEST_BENCH_MEASURING"  # set in the measuring process (see main)
GOAL_SECONDS, GOAL_MB, GOAL_QUERIES_PER_BATCH = 60, 200, 20


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--decisions", type=int, default=50000)
    parser.add_argument("--db", default=DEFAULT_DB, help="PostgreSQL URL of the bench database")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of window_send"
    )
    parser.add_argument(
        "--no-trace",
        dest="trace",
        action="store_false",
        help="skip the tracemalloc pass (peak Python memory), ~4× slower than the measure",
    )
    args = parser.parse_args(argv)
    if args.families < 1 or not args.families <= args.decisions <= 5 * args.families:
        parser.error("--decisions must be between --families and 5 × --families")
    if args.decisions == 5 * args.families - 1:  # 1, 2, 3 or 5 each cannot make it
        parser.error("--decisions cannot be 5 × --families - 1")
    return args


# --------------------------------------------------------------------------- database


def environment(args, var_dir: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DATABASE_URL": args.db,
        "DATABASE_CONN_MAX_AGE": "60",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DEBUG": "false",
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "SECURE_SSL_REDIRECT": "false",
        "PORTAL_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        # The ORM broker: each batch's async_task is one row of the database, as in a
        # deployment without Redis.
        "REDIS_URL": "",
    }


# --------------------------------------------------------------------------- data


def decision_counts(families: int, decisions: int) -> list[int]:
    """Decisions per family: the mix (1, 2, 3 or 5), nudged until the total is exact."""
    counts = [DECISION_MIX[n % len(DECISION_MIX)] for n in range(families)]
    up, down = {1: 2, 2: 3, 3: 5}, {2: 1, 3: 2, 5: 3}
    difference = decisions - sum(counts)
    overshoot = False  # only 3 → 5 (or 5 → 3) left: step over, the other way comes back
    while difference:
        changed = False
        for position, current in enumerate(counts):
            step = (up if difference > 0 else down).get(current)
            if step is not None and (overshoot or abs(step - current) <= abs(difference)):
                counts[position], changed, overshoot = step, True, False
                difference -= step - current
            if not difference:
                break
        overshoot = not changed
    return counts


def window_moment(n: int) -> datetime.datetime:
    """A deterministic spread of instants over the window (to the microsecond)."""
    seconds = int((WINDOW_END - WINDOW_START).total_seconds())
    return WINDOW_START + datetime.timedelta(
        seconds=(n * 7919) % seconds, microseconds=(n * 104729) % 1_000_000
    )


def populated(families: int, decisions: int):
    """The bench collectivity, when it was built with these figures."""
    from family.models import Family
    from notifications.models import TimelineEvent
    from portal.models import Collectivity

    collectivity = Collectivity.objects.filter(site__hostname=HOST).first()
    if collectivity is None:
        return None
    if Family.objects.filter(collectivity=collectivity).count() != families:
        return None
    in_window = TimelineEvent.objects.filter(
        collectivity=collectivity,
        digest=True,
        created_at__gte=WINDOW_START,
        created_at__lt=WINDOW_END,
    )
    if in_window.count() != decisions:
        return None
    return collectivity


def populate(families: int, decisions: int):
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import translation

    from cms_pages.services import collectivity_site_create
    from family.models import ChangeRequest, Child, Family, Guardian, Subscription
    from notifications.models import TimelineEvent
    from planning.models import Activity, BookingRequest, BookingRequestLine, Slot
    from planning.services.slots import slots_for_dates
    from portal.formats import date_long
    from portal.models import User

    home = {
        "title": "Accueil",
        "welcome_title": f"Bienvenue — {NAME}",
        "welcome_text": "<p>Le portail des familles.</p>",
        "tiles": [{"title": "Espace famille", "text": "Votre famille.", "target": "family_space"}],
    }
    activity_kinds = [
        ("Cantine — École Jules-Ferry", Activity.Kind.CANTEEN, [0, 1, 3, 4], (11, 30), (13, 30)),
        (
            "Accueil du soir — École Jules-Ferry",
            Activity.Kind.EVENING_CARE,
            [0, 1, 3, 4],
            (16, 30),
            (18, 30),
        ),
        ("Mercredi loisirs", Activity.Kind.WEDNESDAY, [2], (8, 30), (17, 30)),
    ]
    first_day, last_day = datetime.date(2026, 12, 3), datetime.date(2026, 12, 18)
    unusable = "!" + secrets.token_urlsafe(20)  # accounts that never log in: no hashing
    counts = decision_counts(families, decisions)
    clock = time.perf_counter()
    with transaction.atomic(), translation.override("fr"):
        collectivity = collectivity_site_create(name=NAME, hostname=HOST, home=home)
        agent = User.objects.create(
            email=AGENT_EMAIL, first_name="Claire", last_name="Agent", password=unusable
        )
        activities = Activity.objects.bulk_create(
            Activity(
                collectivity=collectivity,
                name=name,
                kind=kind,
                place="École Jules-Ferry",
                weekdays=weekdays,
                start_date=datetime.date(2026, 9, 1),
                end_date=datetime.date(2027, 7, 3),
                start_time=datetime.time(*start),
                end_time=datetime.time(*end),
                capacity=1000,
            )
            for name, kind, weekdays, start, end in activity_kinds
        )
        slots = Slot.objects.bulk_create(
            slot
            for activity in activities
            for slot in slots_for_dates(
                activity,
                [
                    first_day + datetime.timedelta(days=d)
                    for d in range((last_day - first_day).days + 1)
                    if (first_day + datetime.timedelta(days=d)).weekday() in activity.weekdays
                ],
            )
        )
        slots_of = {a.pk: [s for s in slots if s.activity_id == a.pk] for a in activities}

        family_rows = Family.objects.bulk_create(
            (
                Family(
                    collectivity=collectivity,
                    name=f"{LAST_NAMES[n % len(LAST_NAMES)]} {n:05d}",
                    subscriber_code=None,
                )
                for n in range(families)
            ),
            batch_size=5000,
        )
        users = User.objects.bulk_create(
            (
                User(
                    email=f"parent{n:05d}@digest.example.test",
                    first_name=FIRST_NAMES[(n + 3) % len(FIRST_NAMES)],
                    last_name=family.name,
                    password=unusable,
                )
                for n, family in enumerate(family_rows)
            ),
            batch_size=5000,
        )
        Guardian.objects.bulk_create(
            (
                Guardian(
                    family=family,
                    rank=1,
                    civility="mme" if n % 2 else "m",
                    first_name=user.first_name,
                    last_name=family.name,
                    email=user.email,
                    city="Banc-d'Essai",
                )
                for n, (family, user) in enumerate(zip(family_rows, users, strict=True))
            ),
            batch_size=5000,
        )
        Subscription.objects.bulk_create(
            (
                Subscription(user=user, family=family)
                for family, user in zip(family_rows, users, strict=True)
            ),
            batch_size=5000,
        )
        children = Child.objects.bulk_create(
            (
                Child(
                    family=family,
                    first_name=FIRST_NAMES[(n + rank) % len(FIRST_NAMES)],
                    last_name=family.name,
                    birth_date=datetime.date(2015 + rank * 2, 1 + n % 12, 10),
                    school="École Jules-Ferry",
                )
                for n, family in enumerate(family_rows)
                for rank in range(FAMILY_SIZES[n % len(FAMILY_SIZES)])
            ),
            batch_size=5000,
        )
        children_of: dict[int, list] = {}
        for child in children:
            children_of.setdefault(child.family_id, []).append(child)

        # Each decision: (family, its account, kind, request, moment, verb, message).
        changes, bookings, lines, decided = [], [], [], []
        n = 0
        for family, user, count in zip(family_rows, users, counts, strict=True):
            kids = children_of[family.pk]
            for k in range(count):
                moment = window_moment(n)
                if k % 5 in (1, 3):
                    refused = n % 2 == 0
                    child = None if refused else kids[k % len(kids)]
                    target = (
                        ChangeRequest.Target.GUARDIAN if refused else ChangeRequest.Target.CHILD
                    )
                    reason = REASONS[n % len(REASONS)].capitalize() if refused else ""
                    request = ChangeRequest(
                        family=family,
                        target=target,
                        object_id=child.pk if child else None,
                        child=child,
                        changes={"city": {"old": "Banc-d'Essai", "new": "Beaulieu-sur-Loire"}}
                        if refused
                        else {"school_class": {"old": "CE1", "new": "CE2"}},
                        status=ChangeRequest.Status.REFUSED
                        if refused
                        else ChangeRequest.Status.ACCEPTED,
                        created_by=user,
                        decided_by=agent,
                        decided_at=moment,
                        refusal_reason=reason,
                    )
                    what = request.get_target_display()
                    if refused:
                        verb = "change_refused"
                        message = f"Demande de modification refusée : {what}. Motif : {reason}"
                    else:
                        verb, message = (
                            "change_accepted",
                            f"Demande de modification acceptée : {what}.",
                        )
                    changes.append(request)
                else:
                    activity = activities[n % len(activities)]
                    slot = slots_of[activity.pk][n % len(slots_of[activity.pk])]
                    child = kids[k % len(kids)]
                    status = ("accepted", "refused", "accepted", "partial")[n % 4]
                    request = BookingRequest(
                        family=family,
                        activity=activity,
                        kind=BookingRequest.Kind.RESERVATION,
                        status=status,
                        date_from=slot.date,
                        date_to=slot.date,
                        weekdays=[slot.date.weekday()],
                        created_by=user,
                        decided_at=moment,
                    )
                    line_status = "refused" if status == "refused" else "accepted"
                    lines.append(
                        BookingRequestLine(
                            request=request,
                            child=child,
                            slot=slot,
                            status=line_status,
                            refusal_reason=REASONS[n % len(REASONS)] if status == "refused" else "",
                            decided_by=agent,
                            decided_at=moment,
                        )
                    )
                    what = f"demande de réservation « {activity.name} », le {date_long(slot.date)}"
                    summary = "1 jour refusé" if status == "refused" else "1 jour accepté"
                    verb = "booking_request_decided"
                    message = f"Décision sur votre {what} : {summary}."
                    if status == "refused":
                        message += f" Motif : {REASONS[n % len(REASONS)]}"
                    bookings.append(request)
                decided.append((family, user, request, moment, verb, message))
                n += 1
        ChangeRequest.objects.bulk_create(changes, batch_size=5000)
        BookingRequest.objects.bulk_create(bookings, batch_size=5000)
        for line in lines:
            line.request_id = line.request.pk
        BookingRequestLine.objects.bulk_create(lines, batch_size=5000)
        built = time.perf_counter() - clock

        clock = time.perf_counter()
        types = {
            ChangeRequest: ContentType.objects.get_for_model(ChangeRequest).pk,
            BookingRequest: ContentType.objects.get_for_model(BookingRequest).pk,
        }
        table = TimelineEvent._meta.db_table
        columns = (
            "collectivity_id, family_id, subject_type_id, subject_id, verb, message, data, "
            "actor_id, digest, account_id, created_at"
        )
        events = 0
        copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for family, user, request, moment, verb, message in decided:
                subject_type = types[type(request)]
                submitted = (
                    ("change_submitted", "Demande de modification envoyée.")
                    if isinstance(request, ChangeRequest)
                    else ("booking_request_submitted", "Demande de réservation envoyée.")
                )
                # The family's own submission, an hour earlier: not a decision.
                copy.write_row(
                    (
                        collectivity.pk,
                        family.pk,
                        subject_type,
                        request.pk,
                        submitted[0],
                        submitted[1],
                        "{}",
                        user.pk,
                        False,
                        None,
                        moment - datetime.timedelta(hours=1),
                    )
                )
                copy.write_row(
                    (
                        collectivity.pk,
                        family.pk,
                        subject_type,
                        request.pk,
                        verb,
                        message,
                        json.dumps({"status": request.status}),
                        agent.pk,
                        True,
                        None,
                        moment,
                    )
                )
                events += 2
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    copied = time.perf_counter() - clock
    print(
        f"Built: {families} families, {len(children)} children, {families} accounts; "
        f"{len(changes)} dossier changes and {len(bookings)} reservations ({len(lines)} lines) "
        f"in {built:.1f} s; {events} timeline events (COPY) in {copied:.1f} s."
    )
    return collectivity


# --------------------------------------------------------------------------- measures


class QueryCounter:
    """``connection.execute_wrapper``: counts the statements (DEBUG off), their time, and
    groups them by statement and first table."""

    TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self.shapes: Counter = Counter()

    def __call__(self, execute, sql, params, many, context):
        clock = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - clock
            self.count += 1
            table = self.TABLE.search(sql)
            verb = sql.lstrip().split(None, 1)[0].upper()
            self.shapes[f"{verb} {table.group(1) if table else ''}".strip()] += 1


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _peak_rss_reset() -> None:
    """Reset this process's peak RSS (VmHWM), so that it becomes the call's own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def digest_reset() -> None:
    """Forget the digest e-mails (and their queued tasks) of a previous measure."""
    from django.db import connection

    from django_q.models import OrmQ

    from notifications.models import OutboxEmail

    OutboxEmail.objects.filter(idempotency_key__startswith="digest:").delete()
    OrmQ.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {OutboxEmail._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {OrmQ._meta.db_table}")


def digest_measure(collectivity, *, trace: bool = False, profile: bool = False) -> dict:
    from django.db import connection

    import django_q.tasks

    from notifications import digests
    from portal.scoping import scopes_disabled

    counter = QueryCounter()
    tasks = []
    original = django_q.tasks.async_task

    def async_task_counted(*args, **kwargs):
        tasks.append(len(args[1]) if len(args) > 1 else 0)
        return original(*args, **kwargs)

    django_q.tasks.async_task = async_task_counted
    gc.collect()
    max_rss, rss = _max_rss_mb(), _rss_mb()
    _peak_rss_reset()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    try:
        with connection.execute_wrapper(counter), scopes_disabled():
            clock = time.perf_counter()
            if profiler:
                profiler.enable()
            queued = digests.window_send(collectivity, start=WINDOW_START, end=WINDOW_END)
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - clock
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    finally:
        if trace:
            tracemalloc.stop()
        django_q.tasks.async_task = original
    return {
        "queued": queued,
        "seconds": seconds,
        "queries": counter.count,
        "db_seconds": counter.seconds,
        "shapes": counter.shapes,
        "tasks": len(tasks),
        "task_ids": sum(tasks),
        "peak_mb": peak,
        "max_rss_before": max_rss,
        "max_rss_after": _max_rss_mb(),
        "rss_before": rss,
        "rss_after": _rss_mb(),
        "peak_rss": _peak_rss_mb(),
        "profiler": profiler,
    }


def report(args, collectivity) -> None:
    from notifications import digests
    from notifications.models import OutboxEmail, TimelineEvent

    events = TimelineEvent.objects.filter(
        collectivity=collectivity,
        digest=True,
        created_at__gte=WINDOW_START,
        created_at__lt=WINDOW_END,
    )
    families = events.values("family_id").distinct().count()
    decisions = events.count()
    batches = -(-families // digests.BATCH)
    print(
        f"Window {WINDOW_START:%d/%m/%Y %H:%M} → {WINDOW_END:%d/%m/%Y %H:%M} (Europe/Paris): "
        f"{decisions} decisions for {families} families; BATCH = {digests.BATCH} "
        f"families → {batches} batches."
    )

    digest_reset()
    first = digest_measure(collectivity, profile=args.profile)
    emails = OutboxEmail.objects.filter(idempotency_key__startswith="digest:")
    average = sum(len(body) for body in emails.values_list("body_html", flat=True)) / max(
        1, first["queued"]
    )
    traced = {"peak_mb": None, "queued": 0, "seconds": 0.0}
    if args.trace:
        digest_reset()
        traced = digest_measure(collectivity, trace=True)
    rerun = digest_measure(collectivity)

    print("\nFirst send (e-mails queued):")
    print(f"  e-mails queued        {first['queued']} (HTML {average / 1024:.1f} KiB on average)")
    print(
        f"  duration              {first['seconds']:.2f} s "
        f"({families / first['seconds']:.0f} families/s, {decisions / first['seconds']:.0f} "
        f"decisions/s); of which in the database {first['db_seconds']:.2f} s"
    )
    print(
        f"  queries               {first['queries']} "
        f"({first['queries'] / batches:.1f} per batch, "
        f"{first['queries'] / families:.4f} per family)"
    )
    for shape, count in first["shapes"].most_common():
        print(f"      {count:>6}  {shape}")
    print(
        f"  async_task calls      {first['tasks']} (one per batch; {first['task_ids']} e-mail "
        f"ids in all)"
    )
    print(
        f"  RSS                   {first['rss_before']:.0f} MB before, peak {first['peak_rss']:.0f} "
        f"MB during the call (+{first['peak_rss'] - first['rss_before']:.0f} MB; VmHWM reset "
        f"before it), {first['rss_after']:.0f} MB after"
    )
    print(
        f"  max RSS (getrusage)   {first['max_rss_before']:.0f} → {first['max_rss_after']:.0f} MB "
        f"(+{first['max_rss_after'] - first['max_rss_before']:.0f} MB; kept across exec, so it "
        "may be the build's)"
    )
    if traced["peak_mb"] is not None:
        print(
            f"  peak Python memory    {traced['peak_mb']:.1f} MB (tracemalloc, separate pass: "
            f"{traced['queued']} queued in {traced['seconds']:.2f} s under tracing)"
        )
    print("\nRerun of the same window (everything already queued):")
    print(
        f"  e-mails queued        {rerun['queued']} in {rerun['seconds']:.2f} s, "
        f"{rerun['queries']} queries, {rerun['tasks']} async_task calls"
    )

    per_batch = first["queries"] / batches
    peak = traced["peak_mb"]
    checks = [
        (
            f"duration {first['seconds']:.1f} s (goal ≤ {GOAL_SECONDS} s)",
            first["seconds"] <= GOAL_SECONDS,
        ),
        (
            f"peak {peak:.0f} MB (goal ≤ {GOAL_MB} MB)" if peak is not None else "peak not traced",
            peak is None or peak <= GOAL_MB,
        ),
        (
            f"{per_batch:.1f} queries per batch (goal: a few per batch, ≤ "
            f"{GOAL_QUERIES_PER_BATCH}, none per family)",
            per_batch <= GOAL_QUERIES_PER_BATCH,
        ),
        (f"{first['queued']} e-mails for {families} families", first["queued"] == families),
        (f"rerun queued {rerun['queued']}", rerun["queued"] == 0),
    ]
    missed = [label for label, ok in checks if not ok]
    print(
        "\nVerdict: "
        + (f"MISSED — {'; '.join(missed)}" if missed else "goals met")
        + ". ("
        + "; ".join(label for label, ok in checks if ok)
        + ")"
    )

    if first["profiler"] is not None:
        import pstats

        print("\ncProfile of window_send (first send), by cumulative time:")
        pstats.Stats(first["profiler"]).sort_stats("cumulative").print_stats(30)
        print("by own time:")
        pstats.Stats(first["profiler"]).sort_stats("tottime").print_stats(20)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = arguments(argv)
    database_name(args.db, marker=MARKER)
    sys.path.insert(0, str(ROOT))
    if os.environ.pop(MEASURING, "") != "1":
        prepare(args)
        # Measure in a fresh process (same environment): the migrations and the build would
        # otherwise set the process's maximum RSS, and hide the digest's own.
        sys.stdout.flush()
        os.environ[MEASURING] = "1"
        rest = [a for a in argv if a != "--rebuild"]
        os.execv(sys.executable, [sys.executable, __file__, *rest])  # noqa: S606 — ourselves
    import django

    django.setup()
    collectivity = populated(args.families, args.decisions)
    if collectivity is None:
        sys.exit("The bench database does not hold the expected figures.")
    report(args, collectivity)
    return 0


def prepare(args) -> None:
    """Create, migrate and fill the bench database, or reuse it when its figures match."""
    var_dir = Path(tempfile.mkdtemp(prefix="portail-digest-bench-"))
    os.environ.update(environment(args, var_dir))
    new = database_create(args.db, marker=MARKER, keep_existing=not args.rebuild)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    # No collectstatic: e-mails link to the collectivity's host and use no static file.
    call_command("migrate", verbosity=0, interactive=False)
    if not new and populated(args.families, args.decisions) is not None:
        print(f"Reusing the bench database ({args.families} families, {args.decisions} decisions).")
        connection.close()
        return
    if not new:
        database_create(args.db, marker=MARKER)
        connection.close()
        call_command("migrate", verbosity=0, interactive=False)
    populate(args.families, args.decisions)
    connection.close()


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    # The bench builds and reads a whole collectivity from outside any request: an explicit,
    # deployment-wide scope (the digest task runs the same way).
    with scopes_disabled():
        sys.exit(main())
