"""The migration lock: a session-level advisory lock on a dedicated connection.

Session-level (not transaction-level) so it survives the many transactions of a run and
does not deadlock CREATE INDEX CONCURRENTLY, which waits for other transactions to end.
A crashed runner's connection closes and the server releases its lock with it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import AudiFiDbError, LockLostError, LockTimeoutError
from .connect import Connection

FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class LockHolder:
    pid: int
    user: str
    client: str
    application: str
    since: str

    def describe(self) -> str:
        return (
            f"pid {self.pid}, user {self.user}, from {self.client}, "
            f"{self.application or 'unknown program'}, connected since {self.since}"
        )


def lock_key(schema: str, table: str) -> int:
    """A stable signed 64-bit key, one per history table."""
    digest = hashlib.sha256(f"audifi-db:{schema}.{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def holder(conn: Connection, key: int) -> LockHolder | None:
    row = conn.query_one(
        """
        SELECT a.pid, a.usename, coalesce(host(a.client_addr), 'local socket'),
               a.application_name, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ')
          FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid
        """,
        ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF),
    )
    return LockHolder(*row) if row else None


def ensure_held(conn: Connection) -> None:
    """LockLost unless the lock's connection is still alive (checked before each migration).

    A session-level advisory lock is released only by an unlock, which the run does at its
    end, or by the end of its session: a live connection still holds it. The lock's session
    is idle, so the server says nothing on it unless it ends it: only when its socket has
    something to read does a round trip confirm (thousands of migrations, no round trip).
    """
    if not conn.has_news():
        return
    try:
        conn.execute("SELECT 1")
    except AudiFiDbError:
        raise LockLostError(
            "lost the migration lock (its connection ended); stopped between migrations so "
            "that no other run applies the same one",
            "run deploy again: `audifi-db status` shows what was applied",
        ) from None


@contextmanager
def migration_lock(
    conn: Connection,
    key: int,
    wait_seconds: float,
    on_wait: Callable[[LockHolder | None], None] = lambda holder: None,
) -> Iterator[None]:
    """Hold the lock for the block; poll with backoff up to `wait_seconds`, then LockTimeoutError."""
    deadline = time.monotonic() + wait_seconds
    pause = FIRST_POLL_SECONDS
    told = False
    while not conn.query_one("SELECT pg_try_advisory_lock(%s)", (key,))[0]:
        if not told:
            on_wait(holder(conn, key))
            told = True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            current = holder(conn, key)
            who = current.describe() if current else "a session that has just ended"
            raise LockTimeoutError(
                f"another audifi-db run holds the migration lock ({who}); "
                f"waited {wait_seconds:g} s",
                "let it finish and run again, or raise [lock] wait_seconds "
                "(AUDIFI_DB_LOCK_WAIT_SECONDS)",
            )
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, MAX_POLL_SECONDS)
    try:
        yield
    finally:
        try:
            conn.query_one("SELECT pg_advisory_unlock(%s)", (key,))
        except Exception:  # noqa: BLE001 - the connection's end releases the lock anyway
            pass
