"""Throttles that take their slot before the check they guard.

A throttle that reads a count, checks the password (or the code) and writes the attempt
afterwards lets every request that arrives while the first ones are being checked through:
20 parallel wrong passwords were all checked with a limit of 5. Here an attempt first takes
one of the ``limit`` slots of each subject (an address, an e-mail, an account) and only an
attempt holding a slot of every subject reaches the check.

A slot is one cache key, ``throttle:<action>:<subject hash>:<n>`` for ``n`` in
``range(limit)``, taken with ``cache.add`` (atomic on Redis — ``SET NX`` — on the local-memory
cache within a process, and on the embedded file cache through ``portal.cache``). Each slot
expires ``period`` seconds after it was taken, so at most ``limit`` attempts pass in any
window of ``period`` seconds (a sliding window, as allauth's own limits).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds


@dataclass(frozen=True)
class Slots:
    """The slots an attempt holds: give them back (``throttle_release``) when the attempt
    should not count, e.g. a right code when only failures are limited."""

    keys: tuple[str, ...]


def throttle_rate(name: str) -> Rate:
    """``settings.PORTAL_THROTTLES[name]``: (attempts, seconds)."""
    limit, period = settings.PORTAL_THROTTLES[name]
    return Rate(limit=int(limit), period=int(period))


def address_subject(address: str | None) -> str:
    """The subject of a client address: an IPv6 address counts for its /64 (one household's
    or one server's network, as allauth counts it), an unusable one as « unknown »."""
    if not address:
        return "ip:unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"ip:{address}"
    if parsed.version == 6:
        return f"ip:{ipaddress.IPv6Network(f'{parsed}/64', strict=False).network_address}"
    return f"ip:{parsed}"


def _base(action: str, subject: str) -> str:
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:40]
    return f"throttle:{action}:{digest}"


def _take_one(action: str, subject: str, rate: Rate) -> str | None:
    base = _base(action, subject)
    for n in range(rate.limit):
        key = f"{base}:{n}"
        if cache.add(key, 1, timeout=rate.period):
            return key
    return None


def throttle_take(action: str, *, subjects: Iterable[str | None], rate: Rate) -> Slots | None:
    """One slot of each subject (empty subjects are skipped), or ``None`` when one of them
    has none left — then nothing is held, so a refused attempt does not lengthen the wait."""
    taken: list[str] = []
    for subject in subjects:
        if not subject:
            continue
        key = _take_one(action, subject, rate)
        if key is None:
            cache.delete_many(taken)
            return None
        taken.append(key)
    return Slots(keys=tuple(taken))


def throttle_release(slots: Slots | None) -> None:
    """Give back the slots of an attempt that does not count."""
    if slots is not None and slots.keys:
        cache.delete_many(list(slots.keys))


def throttle_clear(action: str, *, subjects: Iterable[str | None], rate: Rate) -> None:
    """Free every slot of these subjects (a successful log-in resets its count)."""
    keys = [
        f"{_base(action, subject)}:{n}"
        for subject in subjects
        if subject
        for n in range(rate.limit)
    ]
    if keys:
        cache.delete_many(keys)


__all__ = [
    "Rate",
    "Slots",
    "address_subject",
    "throttle_clear",
    "throttle_rate",
    "throttle_release",
    "throttle_take",
]
