"""Invoice PDFs: the cost of ``billing.pdf`` against WeasyPrint alone, and issuing 1,000 invoices.

    .venv/bin/python bench/billing_pdf.py [--invoices 1000] [--renders 20]
        [--db postgres://postgres@127.0.0.1:5432/portail_billing_bench]

1. Drops and creates its own PostgreSQL database (its name must contain "billing"; never the
   test or dev database), migrated with the production settings, private files in a temporary
   ``PORTAL_VAR_DIR``: a collectivity on ``billing.localhost``, a régie, and ``--invoices``
   families (bulk inserts), each with its payer and two children.
2. One invoice of three lines (two children): the median over ``--renders`` renders (taken in
   turns with the other, after a warm-up), of the PDF through ``billing.pdf`` (the template rendered to HTML, then
   ``portal.pdf.render_pdf``: the ``data:``-only URL fetcher) beside WeasyPrint rendering that
   same HTML alone (``weasyprint.HTML(string=html).write_pdf()``), and their ratio (goal ≤ 1.1×).
3. ``invoice_issue`` for each family, one after the other (each takes its number under the
   counter's row lock, writes the invoice, its lines, renders and stores its PDF and writes the
   timeline event, in its own transaction): total time, invoices per second, and the peak
   memory — the process's maximum resident set (``ru_maxrss``) before and after, and the
   Python allocations' peak during the run (``tracemalloc``, measured in a second, smaller run
   because tracing slows everything down).

A benchmark, not a test: it prints figures and asserts no timing.
"""

import argparse
import datetime
import os
import resource
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

from bench_database import database_create, database_name

ROOT = Path(__file__).resolve().parents[1]
HOST = "billing.localhost"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portail_billing_bench"
MARKER = "billing"
ISSUE_DATE = datetime.date(2026, 12, 1)


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--renders", type=int, default=20, help="measured renders of one PDF")
    parser.add_argument("--traced", type=int, default=100, help="invoices of the traced run")
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


def populate(count: int):
    from billing.models import Regie
    from cms_pages.services import collectivity_site_create
    from family.models import Child, Family, Guardian

    collectivity = collectivity_site_create(
        name="Ville de Banc-d'Essai",
        hostname=HOST,
        home={
            "title": "Accueil",
            "welcome_title": "Bienvenue",
            "welcome_text": "<p>Le portail des familles.</p>",
            "tiles": [],
        },
        primary_colour="#1f4e8c",
    )
    regie = Regie.objects.create(
        collectivity=collectivity,
        code="01",
        name="Régie enfance de Banc-d'Essai",
        address="Hôtel de ville\n1 place de la Mairie\n45000 Banc-d'Essai",
    )
    families = Family.objects.bulk_create(
        Family(collectivity=collectivity, name=f"Famille {n:05d}") for n in range(count + 1)
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
    Child.objects.bulk_create(
        Child(
            family=family,
            first_name=first,
            last_name=family.name,
            birth_date=datetime.date(2017 + index * 3, 5, 4),
        )
        for family in families
        for index, first in enumerate(("Léa", "Hugo"))
    )
    return regie, families


def lines_of(family):
    from billing.services import LineInput

    first, second = family.children.order_by("birth_date", "pk")
    return [
        LineInput("Restauration scolaire", Decimal(15), Decimal("4.20"), first, "novembre 2026"),
        LineInput("Accueil périscolaire soir", Decimal(7), Decimal("2.50"), first, "novembre"),
        LineInput("Restauration scolaire", Decimal(14), Decimal("4.20"), second, "novembre"),
    ]


def issue(regie, family):
    from billing.services import invoice_issue

    return invoice_issue(
        regie=regie,
        family=family,
        lines=lines_of(family),
        issue_date=ISSUE_DATE,
        due_date=ISSUE_DATE + datetime.timedelta(days=30),
        label="Novembre 2026",
    )


def medians_ms(functions, *, runs: int, warmup: int = 3) -> list[float]:
    """The median time of each function, run in turns (A, B, A, B, …) so that neither gets
    a warmer cache, a garbage collection or a noisy neighbour the other does not."""
    for _ in range(warmup):
        for function in functions:
            function()
    times = [[] for _ in functions]
    for _ in range(runs):
        for index, function in enumerate(functions):
            start = time.perf_counter()
            function()
            times[index].append((time.perf_counter() - start) * 1000)
    return [statistics.median(values) for values in times]


def one_pdf(regie, family, renders: int) -> None:
    import weasyprint

    from billing.pdf import invoice_html
    from portal.pdf import render_pdf

    invoice = issue(regie, family)
    html = invoice_html(invoice)
    ours, pdf_only, alone = medians_ms(
        [
            lambda: render_pdf(invoice_html(invoice)),
            lambda: render_pdf(html),
            lambda: weasyprint.HTML(string=html).write_pdf(),
        ],
        runs=renders,
    )
    size = len(render_pdf(html))
    print(f"One invoice PDF (3 lines, {size / 1024:.0f} KiB), median of {renders} renders:")
    print(f"  billing.pdf (template + portal.pdf.render_pdf)  {ours:8.1f} ms")
    print(f"  of which portal.pdf.render_pdf on the HTML      {pdf_only:8.1f} ms")
    print(f"  WeasyPrint alone, same HTML                     {alone:8.1f} ms")
    print(f"  ratio billing.pdf / WeasyPrint alone            {ours / alone:8.2f}×  (goal ≤ 1.1×)")
    print(f"  ratio portal.pdf / WeasyPrint alone             {pdf_only / alone:8.2f}×")


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def many(regie, families, *, label: str, traced: bool) -> None:
    before = rss_mib()
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    for family in families:
        issue(regie, family)
    elapsed = time.perf_counter() - start
    count = len(families)
    if traced:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {label}: peak of Python allocations {peak / 2**20:.1f} MiB (tracemalloc)")
        return
    print(
        f"  {label}: {elapsed:.1f} s, {count / elapsed:.1f} invoices/s, "
        f"{elapsed / count * 1000:.0f} ms each; max RSS {before:.0f} → {rss_mib():.0f} MiB"
    )


def main(argv=None) -> int:
    args = arguments(argv)
    database_name(args.db, marker=MARKER)
    var_dir = Path(tempfile.mkdtemp(prefix="portail-billing-bench-"))
    os.environ.update(environment(args, var_dir))
    sys.path.insert(0, str(ROOT))
    database_create(args.db, marker=MARKER)

    import django

    django.setup()
    from django.core.management import call_command

    from billing.models import Invoice

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    regie, families = populate(args.invoices + args.traced)
    print(
        f"Set-up: database, migrations and {len(families)} families "
        f"{time.perf_counter() - started:.1f} s (PostgreSQL, settings production)"
    )
    one_pdf(regie, families[0], args.renders)
    print("Issuing invoices with invoice_issue (number, lines, PDF rendered and stored, event):")
    if args.invoices:
        many(
            regie, families[1 : args.invoices + 1], label=f"{args.invoices} invoices", traced=False
        )
    if args.traced:
        many(regie, families[args.invoices + 1 :], label=f"{args.traced} more", traced=True)
    stored = sum(path.stat().st_size for path in var_dir.rglob("*.pdf"))
    print(
        f"  {Invoice.objects.count()} invoices in the database, "
        f"{stored / 2**20:.1f} MiB of PDFs in private storage"
    )
    return 0


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    # The bench builds and issues for a whole collectivity from outside any request: an
    # explicit, deployment-wide scope.
    with scopes_disabled():
        sys.exit(main())
