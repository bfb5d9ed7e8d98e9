"""How long a transaction holds slot locks, for the registration-rush bench.

Off unless ``PORTAL_LOCK_STATS`` names a file. Then, from the first slot lock a transaction
takes (``locked``, called right after the ``SELECT … FOR UPDATE`` returns) to the moment its
COMMIT returns, it counts the SQL statements run (the locking one included, COMMIT itself
not) and appends one JSON line to the file: ``hold`` and ``wait`` (how long the locking
statement took, mostly the wait for the lock) in seconds, ``statements``, and ``path``
(``ahead``: the short way; ``locked``: lock first). A rolled back transaction writes
nothing; ``request_submit`` records its wrong predictions with ``mispredicted``. Several
processes append to the same file (one ``write`` per line, the file opened in append mode).

The end of the hold is seen by wrapping this connection's ``commit`` and ``rollback`` for the
transaction (``on_commit`` callbacks would run after those the transaction queued earlier,
such as its e-mail's task, and count them).
"""

import json
import os
import time

from django.db import connection

ENV = "PORTAL_LOCK_STATS"


class _Hold:
    def __init__(self, conn, started: float, wait: float, path: str):
        self.conn = conn
        self.started = started
        self.wait = wait
        self.path = path
        self.statements = 1  # the locking statement
        self.commit, self.rollback = conn.commit, conn.rollback
        conn.commit, conn.rollback = self._committed, self._rolled_back
        conn.execute_wrappers.append(self)
        conn._portal_lock_hold = self

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)

    def _end(self) -> None:
        conn = self.conn
        conn.commit, conn.rollback = self.commit, self.rollback
        if self in conn.execute_wrappers:
            conn.execute_wrappers.remove(self)
        conn._portal_lock_hold = None

    def _committed(self):
        try:
            self.commit()
        finally:
            hold = time.perf_counter() - self.started
            self._end()
        _write({"hold": hold, "wait": self.wait, "statements": self.statements, "path": self.path})

    def _rolled_back(self):
        self._end()
        self.rollback()


def _write(row: dict) -> None:
    path = os.environ.get(ENV)
    if not path:
        return
    line = (json.dumps(row) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def locked(*, asked_at: float, path: str = "locked") -> None:
    """A slot lock was just granted (``asked_at``: ``perf_counter`` before the statement)."""
    if not os.environ.get(ENV) or not connection.in_atomic_block:
        return
    if getattr(connection, "_portal_lock_hold", None) is not None:
        return  # this transaction's hold has started already
    now = time.perf_counter()
    _Hold(connection, now, now - asked_at, path)


def mispredicted() -> None:
    """A request's prediction failed under the lock; it is made again lock first."""
    _write({"mispredicted": 1})
