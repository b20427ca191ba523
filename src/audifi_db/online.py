"""The pure parts of the zero-downtime toolkit: when to retry a lock timeout, what the
timeouts of a migration saw, and the SQL of one backfill batch. No I/O; the runner and
`python_context` use them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from .config_sections import OnlineSettings
from .model import BlockingSession

BATCH_SIZE = 10_000  # rows per backfill batch: measured at 85-195 ms on a 5M-row table
FIRST_DELAY_SECONDS = 0.1
# At most this long between two attempts: a blocker that ends is followed within it.
MAX_DELAY_SECONDS = 0.8


def session_settings(online: OnlineSettings) -> tuple[dict[str, int], dict[str, int]]:
    """The SETs of a migration's session (ms): lock_timeout and statement_timeout, and, where
    the role may set it (a superuser setting), deadlock_timeout at half the lock timeout.

    A lock wait checks for deadlocks after deadlock_timeout (1 s by default) and then
    cancels an autovacuum in its way, as PostgreSQL does for every waiter; a lock timeout
    before that would leave the autovacuum be and retry until it ends (measured: the
    vacuum after a 5M-row backfill, 8 retries of 200 ms each queueing the application)."""
    required = {
        "lock_timeout": online.lock_timeout_ms,
        "statement_timeout": online.statement_timeout_ms,
    }
    half = online.lock_timeout_ms // 2
    return required, ({"deadlock_timeout": half} if half else {})


class Backoff:
    """Delays between the attempts of a migration blocked by lock timeouts: doubling from
    FIRST_DELAY_SECONDS up to MAX_DELAY_SECONDS, each drawn at random from the upper half
    of its range (jitter: two runners never retry in step), none past the deadline."""

    def __init__(
        self, deadline_seconds: float, now: float, rand: Callable[[], float] = random.random
    ) -> None:
        self.deadline, self.rand = now + deadline_seconds, rand
        self.retries = 0

    def next_delay(self, now: float) -> float | None:
        """Seconds to wait before the next attempt; None when the deadline has passed."""
        left = self.deadline - now
        if left <= 0:
            return None
        ceiling = min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2**self.retries)
        self.retries += 1
        return min(left, ceiling * (0.5 + 0.5 * self.rand()))


class LockWaits:
    """One migration's lock timeouts, for its history row: how many attempts it took and
    each session that blocked one (by pid, as last seen)."""

    def __init__(self) -> None:
        self.timeouts = 0
        self.blockers: dict[int, dict[str, Any]] = {}

    def add(self, blockers: Iterable[BlockingSession]) -> None:
        """An attempt cut short by lock_timeout, and who blocked it."""
        self.timeouts += 1
        for blocker in blockers:
            self.blockers[blocker.pid] = {
                k: v.isoformat() if isinstance(v, datetime) else v
                for k, v in blocker._asdict().items()
            }

    def metrics(self, *, gave_up: bool) -> dict[str, Any]:
        """`{"lock_waits": …}` for the history row's `metrics`, {} when nothing timed out.
        `gave_up`: the last attempt was cut short too (the deadline had passed)."""
        if not self.timeouts:
            return {}
        attempts = self.timeouts if gave_up else self.timeouts + 1
        waits = {"attempts": attempts, "lock_timeouts": self.timeouts}
        return {"lock_waits": {**waits, "blockers": list(self.blockers.values())}}


def backfill_batch(table: str, key: str, set_: str, where: str, *, first: bool) -> str:
    """One batch of a backfill, as one statement (one short transaction in autocommit).

    The batch is the next `%(_audifi_batch)s` keys above `%(_audifi_after)s` (no lower bound
    for the first batch), found from the primary key's index alone; the statement updates
    the rows in that key range that still match `where` (a row finished meanwhile, by the
    application or a trigger, is left alone) and returns the range's highest key (NULL:
    no key is left above it) and the rows it changed. A range, not a join or a list of
    keys, keeps each batch one index range scan whatever the planner thinks.
    """
    above = "" if first else f" WHERE {key} > %(_audifi_after)s"
    lower = "" if first else f"{key} > %(_audifi_after)s AND "
    return f"""WITH bounds AS (
  SELECT coalesce(
    (SELECT {key} FROM {table}{above} ORDER BY {key} OFFSET %(_audifi_batch)s - 1 LIMIT 1),
    (SELECT max({key}) FROM {table}{above})
  ) AS hi
), changed AS (
  UPDATE {table} SET {set_}
   WHERE {lower}{key} <= (SELECT hi FROM bounds) AND ({where})
  RETURNING 1
)
SELECT (SELECT hi FROM bounds), (SELECT count(*) FROM changed)"""
