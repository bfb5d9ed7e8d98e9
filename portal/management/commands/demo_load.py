from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from portal.demo import DEMO_PASSWORD, DemoContext
from portal.scoping import scopes_disabled


class Command(BaseCommand):
    help = "Load (or refresh) the demo collectivities, pages, accounts and data. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="Port the demo server uses.")
        parser.add_argument("--quiet", action="store_true", help="Do not print the summary.")

    def handle(self, *args, port, quiet, **options):
        context = DemoContext(port=port)
        # The demo builds several collectivities at once: an explicit, deployment-wide scope.
        with scopes_disabled():
            for path in settings.PORTAL_DEMO_LOADERS:
                with transaction.atomic():
                    import_string(path)(context)
        if not quiet:
            self.print_summary(context)

    def print_summary(self, context):
        out = self.stdout
        out.write(self.style.SUCCESS("\nDémo prête. Adresses :"))
        for collectivity in context.collectivities.values():
            out.write(f"  {collectivity.name}")
            out.write(f"    portail : {context.url(collectivity)}")
            out.write(f"    back office : {context.url(collectivity, '/admin/')}")
        out.write(
            self.style.SUCCESS(f"\nComptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        )
        for role, where, email in context.logins:
            suffix = f" — {where}" if where else ""
            out.write(f"  {role:<28} {email}{suffix}")
        for line in context.notes:
            out.write(line)
