"""An invoicing run of one month for a whole collectivity: the draft, then « Émettre » with PDFs.

    .venv/bin/python bench/invoicing_run.py [--families 10000] [--no-issue]
        [--db postgres://postgres@127.0.0.1:5432/portail_invoicing_bench]

1. Drops and creates its own PostgreSQL database (its name must contain "bench"; never the
   test or dev database), migrated with the production settings, private files in a temporary
   ``PORTAL_VAR_DIR``. Bulk inserts: a collectivity on ``invoicing.localhost``, a régie, a
   canteen (Mon, Tue, Thu, Fri, by the meal) and an after-school care (by the hour) with their
   November 2026 slots and tariffs (three QF brackets, a sibling reduction, a billed-absence
   price), ``--families`` families (a payer, a subscribed account so that each invoice is
   e-mailed, 1.7 children each, a quotient for 9 families in 10), every child at the canteen
   every day and one in three at the after-school care: 85 % present, 5 % excused, 5 % billed
   absences, 5 % reserved and not recorded.
2. ``run_create`` (the draft: every family's lines, totals, anomalies): time, queries, the
   growth of the process's maximum resident set (``ru_maxrss``), then the same draft
   recomputed under ``tracemalloc`` for the peak of Python allocations.
3. ``run_issue_start`` then the batches of ``run_issue_process`` (what the issue task runs;
   batches of 50 families, each one transaction: numbers, invoices, lines, ledger, event,
   e-mail queued), while ``--workers`` forked processes render and store the PDFs of each
   committed batch (``billing.tasks.invoices_pdf_render``, what the cluster's other workers
   run), as the cluster does: the numbering time, the time until the last PDF is stored, and
   each renderer's resident set after each batch (flat memory: it must not grow with the
   invoices rendered).

A benchmark, not a test: it prints figures and asserts no timing.
"""

import argparse
import datetime
import multiprocessing
import os
import random
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

from bench_database import database_create, database_name

ROOT = Path(__file__).resolve().parents[1]
HOST = "invoicing.localhost"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portail_invoicing_bench"
MARKER = "bench"
START, END = datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)
TODAY = datetime.date(2026, 12, 2)


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=10000)
    parser.add_argument("--no-issue", action="store_true", help="measure the draft only")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes rendering the PDFs (the cluster's)"
    )
    parser.add_argument("--db", default=DEFAULT_DB, help="PostgreSQL URL of the bench database")
    return parser.parse_args(argv)


def environment(args, var_dir: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DATABASE_URL": args.db,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DEBUG": "false",
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "SECURE_SSL_REDIRECT": "false",
        "PORTAL_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


def render_batch(invoice_ids):
    """In a renderer process: what ``billing.tasks.invoices_pdf_render`` does for one batch;
    returns how many it rendered, its pid and its resident set afterwards (MiB)."""
    from billing.tasks import invoices_pdf_render

    rendered = invoices_pdf_render(invoice_ids)
    with open("/proc/self/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return rendered, os.getpid(), rss / 1024


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def populate(count: int):
    from django.contrib.auth.hashers import make_password

    from billing.models import Regie, Tariff, TariffBracket, TariffRankReduction
    from cms_pages.services import collectivity_site_create
    from family.models import Child, Family, Guardian, QuotientPeriod, Subscription
    from planning.models import Activity, Booking, Slot
    from portal.models import User

    rng = random.Random(14)
    collectivity = collectivity_site_create(
        name="Ville de Banc-d'Essai",
        hostname=HOST,
        home={
            "title": "Accueil",
            "welcome_title": "Bienvenue",
            "welcome_text": "<p>Bienvenue.</p>",
            "tiles": [],
        },
        primary_colour="#1f4e8c",
    )
    regie = Regie.objects.create(
        collectivity=collectivity, code="01", name="Régie enfance", address="1 place"
    )
    common = {
        "collectivity": collectivity,
        "start_date": datetime.date(2026, 9, 1),
        "end_date": datetime.date(2027, 7, 3),
        "capacity": count * 2,
    }
    canteen = Activity.objects.create(
        name="Restauration scolaire",
        kind=Activity.Kind.CANTEEN,
        weekdays=[0, 1, 3, 4],
        start_time=datetime.time(11, 30),
        end_time=datetime.time(13, 30),
        **common,
    )
    evening = Activity.objects.create(
        name="Accueil périscolaire soir",
        kind=Activity.Kind.EVENING_CARE,
        weekdays=[0, 1, 3, 4],
        start_time=datetime.time(16, 30),
        end_time=datetime.time(18, 15),
        **common,
    )
    for activity, unit, prices, absence in (
        (canteen, Tariff.Unit.MEAL, ("2.10", "3.40", "4.60"), Decimal("1.50")),
        (evening, Tariff.Unit.HOUR, ("0.90", "1.40", "1.90"), None),
    ):
        tariff = Tariff.objects.create(
            activity=activity, valid_from=common["start_date"], unit=unit, absence_price=absence
        )
        bounds = (("0", "700"), ("700.01", "1200"), ("1200.01", None))
        TariffBracket.objects.bulk_create(
            TariffBracket(
                tariff=tariff,
                qf_min=Decimal(low),
                qf_max=Decimal(high) if high else None,
                price=Decimal(price),
            )
            for (low, high), price in zip(bounds, prices, strict=True)
        )
        TariffRankReduction.objects.create(tariff=tariff, rank=2, percent=Decimal(80))
    days = [
        START + datetime.timedelta(days=n)
        for n in range((END - START).days + 1)
        if (START + datetime.timedelta(days=n)).weekday() in (0, 1, 3, 4)
    ]
    slots = {
        activity: Slot.objects.bulk_create(
            Slot(
                activity=activity,
                date=day,
                start_time=activity.start_time,
                end_time=activity.end_time,
                capacity=activity.capacity,
            )
            for day in days
        )
        for activity in (canteen, evening)
    }
    families = Family.objects.bulk_create(
        Family(collectivity=collectivity, name=f"Famille {n:05d}") for n in range(count)
    )
    Guardian.objects.bulk_create(
        Guardian(
            family=family,
            rank=1,
            first_name="Élodie",
            last_name=family.name,
            is_payer=True,
            address="12 rue des Écoles",
            postal_code="45000",
            city="Banc-d'Essai",
        )
        for family in families
    )
    unusable = make_password(None)  # accounts that never log in
    users = User.objects.bulk_create(
        User(email=f"parent{n:05d}@example.test", password=unusable) for n in range(count)
    )
    Subscription.objects.bulk_create(
        Subscription(user=user, family=family) for user, family in zip(users, families, strict=True)
    )
    QuotientPeriod.objects.bulk_create(
        QuotientPeriod(
            family=family,
            value=Decimal(rng.randrange(300, 2000)),
            valid_from=datetime.date(2026, 1, 1),
        )
        for n, family in enumerate(families)
        if n % 10
    )
    children = Child.objects.bulk_create(
        Child(
            family=family,
            first_name=first,
            last_name=family.name,
            birth_date=datetime.date(2016 + index * 3, 5, 4),
        )
        for n, family in enumerate(families)
        for index, first in enumerate(("Léa", "Hugo")[: 1 + (n % 10 < 7)])
    )
    states = [Booking.State.PRESENT] * 17 + [
        Booking.State.ABSENT,
        Booking.State.ABSENT_BILLED,
        Booking.State.RESERVED,
    ]
    batch = []
    for index, child in enumerate(children):
        for activity in (canteen, evening) if index % 3 == 0 else (canteen,):
            for slot in slots[activity]:
                state = rng.choice(states)
                marked = None
                if state != Booking.State.RESERVED:
                    marked = datetime.datetime.combine(
                        slot.date, slot.end_time, tzinfo=datetime.UTC
                    )
                batch.append(
                    Booking(child=child, slot=slot, state=state, attendance_marked_at=marked)
                )
        if len(batch) > 20000:
            Booking.objects.bulk_create(batch)
            batch = []
    Booking.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return regie, [canteen, evening], len(children)


def main(argv=None) -> int:
    args = arguments(argv)
    database_name(args.db, marker=MARKER)
    var_dir = Path(tempfile.mkdtemp(prefix="portail-invoicing-bench-"))
    os.environ.update(environment(args, var_dir))
    sys.path.insert(0, str(ROOT))
    database_create(args.db, marker=MARKER)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections, reset_queries
    from django.test.utils import CaptureQueriesContext

    import time_machine

    from billing.models import Invoice, RunAnomaly, RunFamily, RunLine
    from billing.services import runs
    from planning.models import Booking

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    regie, activities, children = populate(args.families)
    print(
        f"Set-up: {args.families} families, {children} children, "
        f"{Booking.objects.count()} bookings in November 2026, "
        f"{time.perf_counter() - started:.1f} s (PostgreSQL, settings production)"
    )
    traveller = time_machine.travel(datetime.datetime(2026, 12, 2, 8, tzinfo=datetime.UTC))
    traveller.start()
    before = rss_mib()
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        run = runs.run_create(
            regie=regie,
            label="Novembre 2026",
            period_start=START,
            period_end=END,
            activities=activities,
            bill_unrecorded=False,
            due_date=datetime.date(2026, 12, 31),
            direct_debit_date=datetime.date(2026, 12, 15),
        )
    elapsed = time.perf_counter() - start
    print(
        f"Draft: {elapsed:.1f} s, {len(queries)} queries, "
        f"{RunFamily.objects.filter(run=run).count()} families, "
        f"{RunLine.objects.filter(run_family__run=run).count()} lines, "
        f"{RunAnomaly.objects.filter(run=run).count()} anomalies; "
        f"max RSS {before:.0f} → {rss_mib():.0f} MiB"
    )
    reset_queries()
    tracemalloc.start()
    runs.run_compute(run=run)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  recomputed under tracemalloc: peak of Python allocations {peak / 2**20:.1f} MiB")
    if args.no_issue:
        return 0
    runs._enqueue = lambda run_id: None  # the bench runs the task's body itself
    batches = []
    runs._enqueue_pdfs = batches.append  # handed to the renderers below as each batch commits
    runs.run_issue_start(run=run, by=None)
    connections.close_all()  # each renderer opens its own connection
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    with context.Pool(args.workers, initializer=connections.close_all) as pool:
        results = []
        while runs._issue_batch(run.pk, runs.ISSUE_BATCH):
            while batches:
                results.append(pool.apply_async(render_batch, (batches.pop(0),)))
        numbered = time.perf_counter() - start
        results += [pool.apply_async(render_batch, (ids,)) for ids in batches]
        figures = [result.get() for result in results]
    elapsed = time.perf_counter() - start
    count = Invoice.objects.filter(run=run).count()
    missing = Invoice.objects.filter(run=run, pdf="").count()
    stored = sum(path.stat().st_size for path in var_dir.rglob("*.pdf"))
    rendered = sum(rendered for rendered, _pid, _rss in figures)
    print(
        f"Issue: {count} invoices numbered, written and e-mailed in {numbered:.1f} s; "
        f"their {rendered} PDFs rendered by {args.workers} worker(s) alongside, the last one "
        f"stored after {elapsed:.1f} s ({count / elapsed:.1f} invoices/s, "
        f"{elapsed / max(count, 1) * 1000:.0f} ms each overall); {missing} without PDF; "
        f"{stored / 2**20:.1f} MiB of PDFs"
    )
    by_worker = {}
    for _rendered, pid, rss in figures:
        by_worker.setdefault(pid, []).append(rss)
    for pid, values in sorted(by_worker.items()):
        quarters = [values[min(len(values) - 1, len(values) * q // 4)] for q in (0, 1, 2, 3)]
        print(
            f"  renderer {pid}: {len(values)} batches; resident set after the first batch and "
            f"at ¼ · ½ · ¾ · end: {' · '.join(f'{v:.0f}' for v in quarters)} · "
            f"{values[-1]:.0f} MiB"
        )
    print(f"  issue task (numbering) max RSS: {rss_mib():.0f} MiB")
    traveller.stop()
    return 0


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    # The bench builds and issues for a whole collectivity from outside any request: an
    # explicit, deployment-wide scope.
    with scopes_disabled():
        sys.exit(main())
