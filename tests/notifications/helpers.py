"""Test helpers for the decision digests."""

import datetime

from django.utils import timezone

from notifications import digests
from notifications.models import OutboxEmail


def digest_for(email: str, collectivity) -> OutboxEmail:
    """Send the digest of a window that holds every decision so far, and return the one
    e-mail it queued for ``email``."""
    now = timezone.now()
    digests.window_send(
        collectivity,
        start=now - datetime.timedelta(days=3650),
        end=now + datetime.timedelta(seconds=1),
    )
    [found] = [
        row
        for row in OutboxEmail.objects.filter(idempotency_key__startswith="digest:")
        if email in row.to
    ]
    return found
