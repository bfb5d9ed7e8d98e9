"""The family's timeline of events, and the transactional e-mail outbox.

Domain services write their state change and these rows in the same transaction; e-mails are
sent after commit by the task cluster, with retries, and a periodic sweep picks up any row a
crash left behind. ``notifications`` imports only ``portal``: subjects are linked generically.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Collectivity
from portal.scoping import TenantManager


class TimelineEvent(models.Model):
    collectivity = models.ForeignKey(Collectivity, on_delete=models.CASCADE, related_name="+")
    # The family the event concerns, by id: notifications may not import family.
    family_id = models.BigIntegerField(_("famille"), null=True, db_index=True)
    subject_type = models.ForeignKey(
        ContentType, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_id = models.BigIntegerField(null=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    verb = models.CharField(_("événement"), max_length=60)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A decision or a message of the collectivity: the family reads it in its next digest
    # (or at once, by its accounts' choice). ``account`` names who reads it when the subject
    # has no family yet (a refused family-space creation).
    digest = models.BooleanField(_("à notifier"), default=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    collectivity_lookup = "collectivity"
    family_lookup = "family_id"

    objects = TenantManager()

    class Meta:
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(
                fields=["collectivity", "created_at"],
                condition=models.Q(digest=True),
                name="timeline_digest_window",
            ),
        ]

    def __str__(self):
        return f"{self.verb} ({self.created_at:%d/%m/%Y %H:%M})"


def idempotency_key_default() -> str:
    """The key of an e-mail queued without one: unique, so it never collides."""
    return uuid.uuid4().hex


class OutboxEmail(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENDING = "sending", _("Envoi en cours")
        RETRY = "retry", _("Nouvel essai prévu")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    collectivity = models.ForeignKey(
        Collectivity, null=True, on_delete=models.CASCADE, related_name="+"
    )
    family_id = models.BigIntegerField(null=True, db_index=True)
    from_email = models.CharField(max_length=254)
    to = models.JSONField(_("destinataires"))
    subject = models.CharField(_("objet"), max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    smtp_code = models.PositiveSmallIntegerField(_("code SMTP"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # A worker claims the row (SENDING) before talking to the mail server; a claim older than
    # the lease is a crashed worker's, and the sweep takes it back.
    claimed_at = models.DateTimeField(null=True, blank=True)
    retry_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True)
    # Queuing twice with the same key yields one row; callers that give none get a uuid4.
    idempotency_key = models.CharField(max_length=200, unique=True, default=idempotency_key_default)
    # Fixed at creation, so a resend after an unknown outcome carries the same Message-ID and
    # the receiving side can tell it is the same message.
    message_id = models.CharField(max_length=255)
    # An e-mail rendered by the task cluster (``email_queue(..., deferred=True)``): its
    # template, the data it was given at queuing (JSON, frozen then) and the page it links
    # to. ``outbox_send`` renders it into subject and bodies before the first sending.
    template = models.CharField(max_length=100, blank=True)
    data = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=500, blank=True)

    collectivity_lookup = "collectivity"
    family_lookup = "family_id"

    objects = TenantManager()

    class Meta:
        verbose_name = _("e-mail sortant")
        verbose_name_plural = _("e-mails sortants")
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "retry_after"]),
        ]

    def __str__(self):
        return f"{self.subject_shown} → {', '.join(self.to)}"

    @property
    def rendered(self) -> bool:
        """False for an e-mail the task cluster has not rendered yet (queued with its data,
        ``services.email_queue_deferred``): no subject and no bodies until it is sent."""
        return not self.template or bool(self.body_text)

    @property
    def subject_shown(self) -> str:
        """The subject as the back office lists it: never empty (an empty link has no name)."""
        return self.subject if self.rendered else str(_("E-mail en préparation"))


class NotificationPreference(models.Model):
    """How an account reads the collectivity's decisions (one choice per account)."""

    class Decisions(models.TextChoices):
        DIGEST = "digest", _("Dans un récapitulatif, aux heures prévues par la collectivité")
        IMMEDIATE = "immediate", _("À chaque décision, immédiatement")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    decisions = models.CharField(
        _("recevoir les décisions"),
        max_length=10,
        choices=Decisions.choices,
        default=Decisions.DIGEST,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("préférence de notification")
        verbose_name_plural = _("préférences de notification")

    def __str__(self):
        return f"{self.user}: {self.decisions}"


class DigestCursor(models.Model):
    """The end of the last digest window sent for a collectivity: the next run starts there,
    so a window missed while the cluster was down is sent once, late, with its own decisions."""

    collectivity = models.OneToOneField(
        Collectivity, on_delete=models.CASCADE, related_name="digest_cursor"
    )
    window_end = models.DateTimeField()

    collectivity_lookup = "collectivity"

    objects = TenantManager()

    class Meta:
        verbose_name = _("curseur des récapitulatifs")
        verbose_name_plural = _("curseurs des récapitulatifs")

    def __str__(self):
        return f"{self.collectivity}: {self.window_end:%Y-%m-%d %H:%M}"


class RequestRead(models.Model):
    """When an account last opened a request's history: newer events are its new messages."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.BigIntegerField()
    read_at = models.DateTimeField()

    class Meta:
        verbose_name = _("lecture d’une demande")
        verbose_name_plural = _("lectures des demandes")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "subject_type", "subject_id"], name="unique_request_read"
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.subject_type_id}/{self.subject_id}"
