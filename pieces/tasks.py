"""Thin django-q2 entry points of the supporting-documents module: they open their scope and
call services. Their dotted paths are stored in the schedules (``schedules_install``): keep
them."""

from django.utils import timezone

from portal.scoping import scopes_disabled

from . import services


def file_scan(file_id: int) -> str:
    """After an upload's commit: the antivirus check of one file (the outbox and the sweep
    span the deployment; the file names its own family)."""
    with scopes_disabled():
        return services.file_scan(file_id=file_id)


def scans_retry() -> int:
    """Every 5 minutes: files still waiting for the scanner."""
    with scopes_disabled():
        return services.scans_retry()


def documents_daily() -> dict:
    """Every day: documents past their validity become « Obsolète »; mandatory ones 30 days
    from their end are reminded to the family, once."""
    today = timezone.localdate()
    with scopes_disabled():
        return {
            "obsolete": services.documents_expire(today=today),
            "reminded": services.documents_remind(today=today),
        }
