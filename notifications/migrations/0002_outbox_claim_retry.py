"""The outbox claims a row before sending and records the outcome afterwards, so no
transaction is open while the mail server is spoken to; RETRY rows wait for ``retry_after``.

Existing rows get their own idempotency key and Message-ID before the unique constraint."""

import uuid
from email.utils import make_msgid

from django.db import migrations, models

import notifications.models


def fill_keys(apps, schema_editor):
    OutboxEmail = apps.get_model("notifications", "OutboxEmail")
    for email in OutboxEmail._base_manager.all().only("pk"):
        OutboxEmail._base_manager.filter(pk=email.pk).update(
            idempotency_key=uuid.uuid4().hex, message_id=make_msgid(domain="portail.localhost")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboxemail",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "À envoyer"),
                    ("sending", "Envoi en cours"),
                    ("retry", "Nouvel essai prévu"),
                    ("sent", "Envoyé"),
                    ("failed", "Échec"),
                ],
                default="pending",
                max_length=10,
                verbose_name="état",
            ),
        ),
        migrations.AlterField(
            model_name="outboxemail",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="essais"),
        ),
        migrations.AlterField(
            model_name="outboxemail",
            name="last_error",
            field=models.TextField(blank=True, verbose_name="dernière erreur"),
        ),
        migrations.AddField(
            model_name="outboxemail",
            name="smtp_code",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="code SMTP"),
        ),
        migrations.AddField(
            model_name="outboxemail",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outboxemail",
            name="retry_after",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outboxemail",
            name="idempotency_key",
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="outboxemail",
            name="message_id",
            field=models.CharField(default="", max_length=255),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outboxemail",
            name="idempotency_key",
            field=models.CharField(
                default=notifications.models.idempotency_key_default, max_length=200, unique=True
            ),
        ),
        migrations.AddIndex(
            model_name="outboxemail",
            index=models.Index(
                fields=["status", "retry_after"], name="notificatio_status_d150a8_idx"
            ),
        ),
    ]
