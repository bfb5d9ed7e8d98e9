"""First come, first served, as the rush tests check it.

A family's arrival is the moment the server received its confirmation
(``BookingRequest.received_at``, stamped first thing in the view). The waiting list follows
arrival exactly (a waiting booking queues at its request's arrival). Places go to the
earliest arrivals up to the time requests spend in progress side by side: a later arrival
may hold a place while an earlier one waits only when the earlier request was still being
processed when the later one arrived (the later one reached the slot lock first). An
earlier request that had finished before a later one arrived can never lose its place to it.
"""

import contextlib


def inversions(*, arrival: dict, holders, waiting) -> list[tuple[object, object, float]]:
    """(holder, waiter, seconds) for each later arrival holding a place while an earlier
    arrival waits; ``arrival`` maps each child to its request's ``received_at``."""
    pairs = []
    for holder in holders:
        for waiter in waiting:
            gap = (arrival[holder] - arrival[waiter]).total_seconds()
            if gap > 0:
                pairs.append((holder, waiter, gap))
    return pairs


def unexplained(pairs, *, arrival: dict, finished: dict) -> list:
    """The inversions whose waiter had finished (``finished``: when its call or response
    returned, at or after its commit) before the holder arrived: none may exist."""
    return [(h, w, gap) for h, w, gap in pairs if finished[w] <= arrival[h]]


def rush_the_lock(monkeypatch, parties: int, *, timeout: float = 20) -> None:
    """Make the ``parties`` requests reach the slot lock together: each one's first call of
    ``places_confirm`` (everything written, only the lock and the check left) waits until all
    are there, then runs the real check. With the lock, they pass it one at a time and those
    beyond the capacity are made again the careful way; without it (``select_for_update``
    removed), they all count at once and the slot is oversold, every time. A request that
    never gets there (a broken barrier) just goes on."""
    import threading

    from planning.services import bookings

    real = bookings.places_confirm
    barrier = threading.Barrier(parties)
    seen = set()
    seen_lock = threading.Lock()

    def together(**kwargs):
        me = threading.get_ident()
        with seen_lock:
            first = me not in seen
            seen.add(me)
        if first:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=timeout)
        return real(**kwargs)

    monkeypatch.setattr(bookings, "places_confirm", together)
