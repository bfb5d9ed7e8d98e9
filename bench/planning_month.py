"""Month view of the planning in a large collectivity: server time and query count.

    .venv/bin/python bench/planning_month.py [--families 10000] [--requests 50]
        [--db postgres://postgres@127.0.0.1:5432/portail_bench] [--rebuild]
        [--redis redis://127.0.0.1:6379/0]

1. Builds (or reuses, when its figures match) its own PostgreSQL database (its name must
   contain "bench"; never the test or dev database), migrated with the production settings:
   a collectivity on ``bench.localhost`` with 20 schools, each with a canteen (Mon, Tue, Thu,
   Fri), an after-school care and a Wednesday activity, their slots for the 2026-2027 school
   year, ``--families`` families (1.7 children on average), every child enrolled in its
   school's canteen (a third also in after-school care, a quarter on Wednesdays), and
   ~1 million bookings for 10,000 families (canteen from September to the Christmas holidays
   for every child, after-school care from 23 November): past days PRESENT / ABSENT /
   ABSENT_BILLED / CANCELLED, future ones RESERVED / PENDING / WAITING / CANCELLED. Families,
   children, slots and enrolments go in with ``bulk_create``, bookings with COPY.
2. Measures in-process with Django's test ``Client`` on the collectivity's host (no network,
   so the figures are the server's own time: middleware, views, queries, templates): the
   month view (December 2026) of a 3-child family enrolled in three activities, its
   « Mon espace citoyen » and the Wagtail home page of the same site, requested in turns
   (``--requests`` rounds after ``--warmup``): median, p95 and max, query count, and the
   month's ratios to the two others. The month is measured three times a round: cold (the
   family's planning version bumped just before, untimed, as a write of its bookings or
   requests does: the cached grid is missed and computed, its roster kept), cold after a
   roster write (its roster version bumped too, as a write of a child or an enrolment does:
   everything read again) and warm (the request right after: served from the cache). The
   cache is the production settings' (the file cache, or Redis with ``--redis``).

A benchmark, not a test: it prints figures and asserts no timing.
"""

import argparse
import datetime
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_database import database_create, database_name

ROOT = Path(__file__).resolve().parents[1]
HOST = "bench.localhost"
NAME = "Ville de Banc-d'Essai"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portail_bench"
SCHOOLS = 20
TODAY = datetime.date(2026, 11, 23)
YEAR_START, YEAR_END = datetime.date(2026, 9, 1), datetime.date(2027, 7, 3)
CANTEEN_BOOKED_UNTIL = datetime.date(2026, 12, 18)
MONTH = datetime.date(2026, 12, 10)
FAMILY_SIZES = (1, 2, 2, 1, 3, 2, 1, 2, 2, 1)  # 1.7 children per family
PARENT_EMAIL = "parent.bench@example.test"


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=50, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--db", default=DEFAULT_DB, help="PostgreSQL URL of the bench database")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument(
        "--redis",
        default="",
        help="REDIS_URL for the cache (production's Redis); default: the file cache that the "
        "production settings use without REDIS_URL",
    )
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- database


MARKER = "bench"  # the bench database's name must contain it


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
        **({"REDIS_URL": args.redis} if args.redis else {}),
    }


# --------------------------------------------------------------------------- data


def _days(start, end, weekdays):
    day = start
    while day <= end:
        if day.weekday() in weekdays:
            yield day
        day += datetime.timedelta(days=1)


def _state(child_id: int, day: datetime.date) -> str:
    """A deterministic spread of states: the past was attended, the future is booked."""
    roll = (child_id * 7919 + day.toordinal() * 104729) % 100
    if day < TODAY:
        if roll < 85:
            return "present"
        if roll < 92:
            return "absent"
        return "absent_billed" if roll < 95 else "cancelled"
    if roll < 85:
        return "reserved"
    if roll < 92:
        return "pending"
    return "cancelled" if roll < 97 else "waiting"


def populated(families: int):
    """The bench collectivity, when it was built with this number of families."""
    from family.models import Family
    from portal.models import Collectivity

    collectivity = Collectivity.objects.filter(site__hostname=HOST).first()
    if collectivity is None:
        return None
    if Family.objects.filter(collectivity=collectivity).count() != families:
        return None
    return collectivity


def populate(families: int):
    from django.db import connection, transaction

    from cms_pages.services import collectivity_site_create
    from family.models import Child, Family, Subscription
    from planning.models import Activity, Enrolment, Slot
    from planning.services.slots import slots_for_dates
    from portal.models import User

    home = {
        "title": "Accueil",
        "welcome_title": f"Bienvenue — {NAME}",
        "welcome_text": "<p>Le portail des familles.</p>",
        "tiles": [
            {"title": "Espace famille", "text": "Votre famille.", "target": "family_space"},
            {"title": "Aide", "text": "Les guides.", "target": "help"},
        ],
    }
    # Each school's activities: key, name, kind, weekdays, start and end times.
    activity_kinds = [
        ("canteen", "Cantine", Activity.Kind.CANTEEN, [0, 1, 3, 4], (11, 30), (13, 30)),
        (
            "evening",
            "Accueil du soir",
            Activity.Kind.EVENING_CARE,
            [0, 1, 3, 4],
            (16, 30),
            (18, 30),
        ),
        ("wednesday", "Mercredi loisirs", Activity.Kind.WEDNESDAY, [2], (8, 30), (17, 30)),
    ]
    clock = time.perf_counter()
    with transaction.atomic():
        collectivity = collectivity_site_create(name=NAME, hostname=HOST, home=home)
        activities = {
            school: {
                key: Activity(
                    collectivity=collectivity,
                    name=f"{label} — École n° {school + 1}",
                    kind=kind,
                    place=f"École n° {school + 1}",
                    weekdays=weekdays,
                    start_time=datetime.time(*start),
                    end_time=datetime.time(*end),
                )
                for key, label, kind, weekdays, start, end in activity_kinds
            }
            for school in range(SCHOOLS)
        }
        rows = [a for by_kind in activities.values() for a in by_kind.values()]
        for activity in rows:
            activity.start_date, activity.end_date = YEAR_START, YEAR_END
            activity.capacity = 1000
        Activity.objects.bulk_create(rows)
        slots = Slot.objects.bulk_create(
            (
                slot
                for activity in rows
                for slot in slots_for_dates(
                    activity, _days(YEAR_START, YEAR_END, set(activity.weekdays))
                )
            ),
            batch_size=5000,
        )
        slot_ids = {(slot.activity_id, slot.date): slot.pk for slot in slots}

        family_rows = Family.objects.bulk_create(
            (
                Family(collectivity=collectivity, name=f"Famille{n:05d}", subscriber_code=None)
                for n in range(families)
            ),
            batch_size=5000,
        )
        children = []
        for index, family in enumerate(family_rows):
            size = 3 if index == 0 else FAMILY_SIZES[index % len(FAMILY_SIZES)]
            for rank in range(size):
                children.append(
                    Child(
                        family=family,
                        first_name=("Léa", "Hugo", "Inès")[rank],
                        last_name=family.name,
                        birth_date=datetime.date(2015 + rank * 2, 1 + index % 12, 10),
                        school=f"École n° {index % SCHOOLS + 1}",
                    )
                )
        Child.objects.bulk_create(children, batch_size=5000)

        enrolments, booked = [], []  # booked: (child, activity, from, to)
        for position, child in enumerate(children):
            school = (child.family_id - family_rows[0].pk) % SCHOOLS
            bench_family = child.family_id == family_rows[0].pk
            kinds = ["canteen"]
            if bench_family or position % 3 == 0:
                kinds.append("evening")
            if bench_family or position % 4 == 0:
                kinds.append("wednesday")
            for kind in kinds:
                activity = activities[school][kind]
                enrolments.append(
                    Enrolment(
                        child=child,
                        activity=activity,
                        start_date=YEAR_START,
                        end_date=YEAR_END,
                        weekdays=activity.weekdays,
                        status=Enrolment.Status.ACCEPTED,
                    )
                )
            booked.append((child, activities[school]["canteen"], YEAR_START, CANTEEN_BOOKED_UNTIL))
            if "evening" in kinds:
                booked.append((child, activities[school]["evening"], TODAY, CANTEEN_BOOKED_UNTIL))
            if bench_family:
                booked.append((child, activities[school]["wednesday"], TODAY, YEAR_END))
        Enrolment.objects.bulk_create(enrolments, batch_size=5000)

        parent = User.objects.create_user(email=PARENT_EMAIL, password=secrets.token_urlsafe(16))
        Subscription.objects.create(user=parent, family=family_rows[0])
        built = time.perf_counter() - clock

        clock = time.perf_counter()
        now = datetime.datetime.now(datetime.UTC)
        count = 0
        with connection.cursor() as cursor:
            copy_sql = (
                "COPY planning_booking (child_id, slot_id, state, queued_at, updated_at) FROM STDIN"
            )
            with cursor.cursor.copy(copy_sql) as copy:
                for child, activity, start, end in booked:
                    for day in _days(start, end, set(activity.weekdays)):
                        state = _state(child.pk, day)
                        copy.write_row(
                            (
                                child.pk,
                                slot_ids[(activity.pk, day)],
                                state,
                                now if state == "waiting" else None,
                                now,
                            )
                        )
                        count += 1
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    copied = time.perf_counter() - clock
    print(
        f"Built: {families} families, {len(children)} children, {len(enrolments)} enrolments, "
        f"{len(slots)} slots in {built:.1f} s; {count} bookings (COPY) in {copied:.1f} s."
    )
    return collectivity


# --------------------------------------------------------------------------- measures


def measure(pages: dict, *, requests: int, warmup: int) -> dict[str, dict]:
    """``pages``: label → (client, url, before). The pages are requested in turns (one of
    each per round, in the dict's order), so that a change of the machine's load weighs on
    all of them alike; ``before`` (or None) runs untimed before each request of its page
    (the cold month bumps the family's planning version there: a cache miss). Per page the
    median, p95 and max server time, the queries of one more request, the slots shown."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get(client, url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    for _ in range(warmup):
        for client, url, before in pages.values():
            if before:
                before()
            get(client, url)
    timings = {label: [] for label in pages}
    for _ in range(requests):
        for label, (client, url, before) in pages.items():
            if before:
                before()
            clock = time.perf_counter()
            get(client, url)
            timings[label].append((time.perf_counter() - clock) * 1000)
    figures = {}
    for label, (client, url, before) in pages.items():
        if before:
            before()
        with CaptureQueriesContext(connection) as queries:
            response = get(client, url)
        values = sorted(timings[label])
        figures[label] = {
            "median": statistics.median(values),
            "p95": values[min(len(values) - 1, round(0.95 * (len(values) - 1)))],
            "max": values[-1],
            "queries": len(queries),
            "slots": response.content.decode().count('class="slot '),
        }
    return figures


def main(argv=None) -> int:
    args = arguments(argv)
    database_name(args.db, marker=MARKER)
    var_dir = Path(tempfile.mkdtemp(prefix="portail-bench-"))
    os.environ.update(environment(args, var_dir))
    sys.path.insert(0, str(ROOT))

    new = database_create(args.db, marker=MARKER, keep_existing=not args.rebuild)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from family.models import Family
    from planning.models import Booking
    from portal.models import User

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    collectivity = None if new else populated(args.families)
    if collectivity is None:
        if not new:
            database_create(args.db, marker=MARKER)
            connection.close()
            call_command("migrate", verbosity=0, interactive=False)
        collectivity = populate(args.families)
    else:
        print(f"Reusing the bench database ({args.families} families).")

    bookings = Booking.objects.for_collectivity(collectivity).count()
    family = Family.objects.filter(subscriptions__user__email=PARENT_EMAIL).get()
    print(
        f"Collectivity {collectivity.name!r} on {HOST}: "
        f"{Family.objects.filter(collectivity=collectivity).count()} families, "
        f"{bookings} bookings; measured family: {family.children.count()} children."
    )

    from django.conf import settings
    from django.db import transaction

    from planning.versions import bump

    def cache_miss():
        # A write of the family's bookings or requests does this: the next month view is
        # computed (its children, activities and slots kept from the stale entry).
        with transaction.atomic():
            bump(family_ids=[family.pk])

    def roster_miss():
        # A write of a child or an enrolment: computed with everything read again.
        with transaction.atomic():
            bump(family_ids=[family.pk], roster=True)

    print(
        f"Cache: {settings.CACHES['default']['BACKEND']} ({settings.CACHES['default']['LOCATION']})"
    )
    client = Client(HTTP_HOST=HOST)
    client.force_login(User.objects.get(email=PARENT_EMAIL))
    month_url = f"/famille/planning/?vue=mois&date={MONTH.isoformat()}"
    cold_label = f"Planning, month ({MONTH:%B %Y}), cold (miss)"
    roster_label = f"Planning, month ({MONTH:%B %Y}), cold, roster"
    warm_label = f"Planning, month ({MONTH:%B %Y}), warm (hit)"
    space_label = "« Mon espace citoyen » (/mon-espace/)"
    home_label = "Wagtail home page (/)"
    figures = measure(
        {
            cold_label: (client, month_url, cache_miss),
            roster_label: (client, month_url, roster_miss),
            warm_label: (client, month_url, None),
            space_label: (client, "/mon-espace/", None),
            home_label: (Client(HTTP_HOST=HOST), "/", None),
        },
        requests=args.requests,
        warmup=args.warmup,
    )
    print(f"{'page':<46}{'median':>10}{'p95':>10}{'max':>10}{'queries':>9}{'slots':>7}")
    for label, row in figures.items():
        print(
            f"{label:<46}{row['median']:>8.1f}ms{row['p95']:>8.1f}ms"
            f"{row['max']:>8.1f}ms{row['queries']:>9}{row['slots']:>7}"
        )
    home, space = figures[home_label]["median"], figures[space_label]["median"]
    for label in (cold_label, roster_label, warm_label):
        month = figures[label]["median"]
        print(
            f"{label}: {month / home:.2f}× the home page, "
            f"{month / space:.2f}× « Mon espace citoyen » (medians)."
        )
    print(
        f"({args.requests} rounds of the three pages in turns after {args.warmup} warm-up "
        "rounds; in-process server time.)"
    )
    return 0


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    # The bench builds and checks a whole collectivity from outside any request: an explicit,
    # deployment-wide scope. The pages it measures still run in their host's scope.
    with scopes_disabled():
        sys.exit(main())
