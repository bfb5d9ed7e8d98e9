"""Thin tasks: they take ids and call services."""

from . import services


def outbox_send(email_id: int) -> bool:
    return services.outbox_send(email_id=email_id)


def outbox_sweep() -> int:
    return services.outbox_sweep()
