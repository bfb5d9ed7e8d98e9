"""Thin tasks: they take ids, open their scope and call services.

The dotted paths (``notifications.tasks.*``) are stored in django-q2's queue and schedules:
keep them. The outbox is deployment-wide (one sender for every collectivity), hence
``scopes_disabled``: each row carries its own collectivity and sender address.
"""

from portal.scoping import scopes_disabled

from . import services


def outbox_send(email_id: int) -> bool:
    with scopes_disabled():
        return services.outbox_send(email_id=email_id)


def outbox_sweep() -> int:
    with scopes_disabled():
        return services.outbox_sweep()


def outbox_send_many(email_ids: list[int]) -> int:
    with scopes_disabled():
        return services.outbox_send_many(email_ids=email_ids)


def digests_send() -> int:
    """Every minute: send each collectivity's decision digests whose window has ended
    (and any window missed while the cluster was down), exactly once per family."""
    from .digests import digests_send as run

    with scopes_disabled():
        return run()
