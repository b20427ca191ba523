"""Who blocks a migration's statement, seen from a connection of our own while it waits.

A statement cancelled by `lock_timeout` no longer waits, so `pg_blocking_pids` has nothing
to say about it afterwards: the sessions in its way must be read while it still waits.
`LockWatch` keeps one thread and (once a statement has run for `PROBE_SECONDS`) one
connection for the whole run; while a statement of the migration's session has run for
`PROBE_SECONDS` or more, it asks every `PROBE_SECONDS` whether that session waits on a
lock, and if so who holds it. A quick statement costs a few attribute writes under a lock;
the watch never fails the run (a probe that errors leaves the blockers unknown).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .. import threads
from ..errors import AudiFiDbError
from ..model import BlockingSession
from .connect import Connection, connect

PROBE_SECONDS = 0.05
# The waiting session's blockers, when it waits on a heavyweight lock (a cheap read of
# pg_stat_activity first: pg_blocking_pids takes the lock manager's locks).
_BLOCKERS = """
SELECT b.pid, b.usename, b.application_name, host(b.client_addr), b.state,
       b.query_start, b.xact_start, b.backend_type
  FROM pg_stat_activity w
 CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocking(pid)
  JOIN pg_stat_activity b ON b.pid = blocking.pid
 WHERE w.pid = %s AND w.wait_event_type = 'Lock'
 ORDER BY b.xact_start NULLS LAST, b.pid
"""


def blocking_sessions(conn: Connection, pid: int) -> tuple[BlockingSession, ...]:
    """The sessions `pid` waits for, oldest transaction first; () when it waits for none."""
    return tuple(BlockingSession(*row) for row in conn.query(_BLOCKERS, (pid,)))


class LockWatch:
    """Samples the blockers of the statement running on the migration's connection."""

    def __init__(self, url: str, pid: int) -> None:
        self.url, self.pid = url, pid
        self._cond = threading.Condition()
        self._count = 0  # statements watched so far
        self._since: float | None = None  # when the statement running now began
        self._found: tuple[BlockingSession, ...] = ()
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None
        self._closed = False

    @contextmanager
    def watching(self) -> Iterator[None]:
        """Watch the statement run in this block. The watch's thread wakes on its own every
        `PROBE_SECONDS`: a run of quick statements does not wake it once per statement."""
        with self._cond:
            if self._thread is None:
                self._thread = threads.start(self._work, name="lock watch")
            self._count += 1
            self._since, self._found = time.monotonic(), ()
        try:
            yield
        finally:
            with self._cond:
                self._since = None

    def last_blockers(self) -> tuple[BlockingSession, ...]:
        """Who blocked the last statement watched, as last seen while it waited."""
        with self._cond:
            return self._found

    def _work(self) -> None:
        while True:
            with self._cond:
                since = self._since  # a statement runs: wake when it is due for a probe
                wait = PROBE_SECONDS if since is None else since + PROBE_SECONDS - time.monotonic()
                if not self._closed and wait > 0:
                    self._cond.wait(wait)  # notified only by close
                if self._closed:
                    return
                since, statement = self._since, self._count
            if since is None or time.monotonic() - since < PROBE_SECONDS:
                continue
            found = self._probe()
            with self._cond:
                if found and self._count == statement:
                    self._found = found

    def _probe(self) -> tuple[BlockingSession, ...]:
        try:
            if self._conn is None:
                self._conn = connect(self.url, "audifi-db lock watch")
            return blocking_sessions(self._conn, self.pid)
        except AudiFiDbError:
            return ()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(5)
        if self._conn is not None:
            self._conn.close()
