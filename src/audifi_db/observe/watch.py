"""The lock watcher: what a migration does to other sessions, seen from outside.

A listener with a connection and a thread of its own (it never touches the runner's). When
a migration has run for `interval` seconds it starts sampling, every `interval`:

- the sessions of the database waiting for a lock the migration's backend holds
  (`pg_blocking_pids`), with how long each has waited (pg_locks.waitstart);
- for a no-transaction migration, the relation locks its backend holds (they come and go
  with each statement, so the runner cannot read them before a COMMIT).

When the migration ends it merges what it saw into the newest history row of that version
(`metrics.waiters`, `metrics.max_wait_ms`, and `metrics.locks` for a no-transaction one). A
waiter still waiting at the last sample is counted as waiting until the migration ended. A
migration shorter than `interval` is never sampled: a run of quick migrations starts the
sampling thread but opens no connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import events, threads
from ..config import Settings
from ..errors import AudiFiDbError
from . import observed
from .measure import KINDS

INTERVAL_SECONDS = 0.25


@dataclass
class _Watch:
    """One migration being watched, and what the samples found."""

    version: str
    pid: int
    transactional: bool
    due: float  # monotonic time of the next sample
    samples: int = 0
    last_sample: float = 0.0  # wall clock (time.time) of the last sample
    waiters: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    locks: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    ended: datetime | None = None

    def add(self, waiters: list[tuple], locks: list[tuple], now: float) -> None:
        self.samples, self.last_sample = self.samples + 1, now
        for pid, user, application, waiting_for, mode, waited in waiters:
            key = (pid, waiting_for, mode)
            seen = self.waiters.setdefault(
                key,
                {
                    "pid": pid,
                    "user": user,
                    "application": application,
                    "waiting_for": waiting_for,
                    "mode": mode,
                    "waited_ms": 0,
                },
            )
            seen["waited_ms"], seen["seen_at"] = max(seen["waited_ms"], int(waited)), now
        for relation, relkind, mode in locks:
            seen = self.locks.setdefault((relation, mode), {"first": now, "kind": relkind})
            seen["last"] = now

    def metrics(self) -> dict[str, Any]:
        """What goes into the history row, waits extended to the migration's end."""
        end = self.ended.timestamp() if self.ended else self.last_sample
        extra_ms = max(0, int((end - self.last_sample) * 1000))
        waiters = [
            {
                **{k: v for k, v in seen.items() if k != "seen_at"},
                "waited_ms": seen["waited_ms"]
                + (extra_ms if seen["seen_at"] == self.last_sample else 0),
            }
            for seen in self.waiters.values()
        ]
        result: dict[str, Any] = {
            "waiters": waiters,
            "max_wait_ms": max((w["waited_ms"] for w in waiters), default=0),
            "watched": {"samples": self.samples, "interval_ms": int(INTERVAL_SECONDS * 1000)},
        }
        if not self.transactional:
            result["locks"] = [
                self._lock(relation, mode, seen, end)
                for (relation, mode), seen in self.locks.items()
            ]
        return result

    def _lock(self, relation: str, mode: str, seen: dict[str, Any], end: float) -> dict[str, Any]:
        """A sampled lock, held from its first sample to its last (or the end, if still held)."""
        until = end if seen["last"] == self.last_sample else seen["last"]
        return {
            "relation": relation,
            "kind": KINDS.get(seen["kind"], "other"),
            "mode": mode,
            "held_ms": int((until - seen["first"]) * 1000),
        }


class LockWatcher:
    """Listener sampling, from its own connection, who waits on the running migration."""

    def __init__(
        self,
        settings: Settings,
        url: Callable[[], str],
        report: Callable[[str], None],
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        self.settings, self.url, self.report, self.interval = settings, url, report, interval
        self.kind, self.ignoring = "migration", False
        self._cond = threading.Condition()
        self._current: _Watch | None = None
        self._to_store: list[_Watch] = []
        self._thread: threading.Thread | None = None
        self._closing = False
        self._conn = None
        self._broken = False

    def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.RunStarted):
            self.kind = "seed" if event.command == "seed" else "migration"
            self.ignoring = not observed(event)
        elif isinstance(event, events.MigrationStarted) and event.backend_pid and not self.ignoring:
            with self._cond:
                self._current = _Watch(
                    event.version,
                    event.backend_pid,
                    event.transactional,
                    time.monotonic() + self.interval,
                )
                if self._thread is None:
                    self._thread = threads.start(self._sample_loop, name="audifi-db lock watcher")
        elif isinstance(event, events.MigrationApplied | events.MigrationFailed):
            with self._cond:
                watch, self._current = self._current, None
                if watch is not None and watch.samples:
                    watch.ended = event.at
                    self._to_store.append(watch)
                    self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=4.0)

    def _sample_loop(self) -> None:
        while True:
            with self._cond:
                watch, stores = self._next_job()
                if watch is None and not stores:
                    break
            for finished in stores:
                self._store(finished)
            if watch is not None:
                self._sample(watch)
        if self._conn is not None:
            self._conn.close()

    def _next_job(self) -> tuple[_Watch | None, list[_Watch]]:
        """Under the condition: wait until a sample is due or a finished watch is to be
        stored; (None, []) when closing with nothing left. Between samples it wakes every
        `interval` at most, so a new migration needs no notification (a run of quick ones
        costs a wake-up every quarter of a second, not two per migration)."""
        while True:
            stores, self._to_store = self._to_store, []
            watch = self._current
            due = watch is not None and not self._broken and watch.due <= time.monotonic()
            if stores or due:
                return (watch if due else None), stores
            if self._closing:
                return None, []
            wait = self.interval if watch is None else watch.due - time.monotonic()
            self._cond.wait(timeout=None if self._broken else wait)

    def _sample(self, watch: _Watch) -> None:
        watch.due = time.monotonic() + self.interval
        conn = self._connection()
        if conn is None:
            return
        from ..postgres import catalog

        try:
            waiters = catalog.lock_waiters(conn, watch.pid)
            locks = [] if watch.transactional else catalog.backend_locks(conn, watch.pid)
        except AudiFiDbError as error:
            self._give_up(f"stopped sampling: {error.message}")
            return
        with self._cond:
            if self._current is watch:
                watch.add(waiters, locks, time.time())

    def _store(self, watch: _Watch) -> None:
        conn = self._connection()
        if conn is None:
            return
        from ..postgres.history import History

        try:
            History.of(conn, self.settings).add_metrics(watch.version, self.kind, watch.metrics())
        except AudiFiDbError as error:
            self._give_up(f"could not record what it saw of {watch.version}: {error.message}")

    def _connection(self):
        if self._broken:
            return None
        if self._conn is None:
            from ..postgres.connect import connect

            try:
                self._conn = connect(self.url(), "audifi-db lock watcher")
            except AudiFiDbError as error:
                self._give_up(f"cannot connect: {error.message}")
        return self._conn

    def _give_up(self, why: str) -> None:
        """One line for the human; the watcher stays quiet for the rest of the run."""
        if not self._broken:
            self._broken = True
            self.report(f"lock watcher {why}; waiters of this run are not recorded")
