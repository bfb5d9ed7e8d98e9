from django.core.management.base import BaseCommand

from django_q.models import Schedule

# Every recurring job of the product, installed idempotently (make demo and deployments run it).
SCHEDULES = [
    {
        "name": "Envoi des e-mails en attente",
        "func": "notifications.tasks.outbox_sweep",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    {
        # Every minute: a window is sent one minute after its hour (digests.GRACE), and a
        # window missed while the cluster was down is sent at the first run after it.
        "name": "Récapitulatifs des décisions (13 h / 18 h)",
        "func": "notifications.tasks.digests_send",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        "name": "Expiration des places proposées (liste d’attente)",
        "func": "planning.tasks.offers_expire",
        "schedule_type": Schedule.MINUTES,
        "minutes": 10,
    },
    {
        "name": "Paiements en ligne en attente (vérification, expiration)",
        "func": "billing.tasks.payment_status",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    {
        # Cron expressions are read in the local time zone (Q_CLUSTER follows TIME_ZONE).
        "name": "Relances des factures impayées (chaque jour à 7 h)",
        "func": "billing.tasks.reminders_send",
        "schedule_type": Schedule.CRON,
        "cron": "0 7 * * *",
    },
    {
        "name": "Attestations fiscales de l’année écoulée (15 janvier, 6 h)",
        "func": "billing.tasks.tax_certificates_generate",
        "schedule_type": Schedule.CRON,
        "cron": "0 6 15 1 *",
    },
    {
        # Documents past their validity → « Obsolète »; reminders 30 days before a mandatory
        # document expires (each once: its idempotency key names the document and its date).
        "name": "Pièces justificatives : obsolescence et rappels",
        "func": "pieces.tasks.documents_daily",
        "schedule_type": Schedule.DAILY,
    },
    {
        # Files still « analyse en cours » because clamd could not be reached: try again.
        "name": "Pièces justificatives : analyses antivirus en attente",
        "func": "pieces.tasks.scans_retry",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
]


class Command(BaseCommand):
    help = "Install (or update) the django-q2 schedules of the product."

    def handle(self, *args, **options):
        for spec in SCHEDULES:
            spec = dict(spec)
            name = spec.pop("name")
            schedule, created = Schedule.objects.update_or_create(name=name, defaults=spec)
            if created and spec["schedule_type"] == Schedule.CRON:
                # A new cron schedule first runs at its hour, not at once.
                schedule.next_run = schedule.calculate_next_run()
                schedule.save(update_fields=["next_run"])
        self.stdout.write(f"{len(SCHEDULES)} tâche(s) planifiée(s) installée(s).")
