"""`ctx`, what a Python migration's `migrate(ctx)` gets.

A Python migration runs outside a single transaction: each `ctx.execute` commits on its
own, each batch of `ctx.backfill` is one short transaction. Every statement runs under the
run's bounded lock waits (`[online] lock_timeout_ms`); one cancelled by a lock timeout
stops `migrate`, and the runner runs the migration again from the start after a pause. So
does the next `deploy` after a crash. That is safe because a migration's steps are
idempotent by construction: `ctx.backfill` skips the rows its `where` says are finished, and
`ctx.execute` is for statements that are safe to repeat (`ADD COLUMN IF NOT EXISTS`, …).
`IF NOT EXISTS` would keep the INVALID index of a failed CREATE INDEX CONCURRENTLY, so
`ctx.execute` drops one before building it (strategies.StepContext.heal_index).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import events
from .errors import PythonMigrationError, SqlSyntaxError
from .model import IndexBuild, Migration, RunStatement
from .online import BATCH_SIZE, backfill_batch
from .postgres import catalog

if TYPE_CHECKING:
    from .strategies import StepContext

PAUSE_POLL_SECONDS = 0.5


class MigrationContext:
    """The `ctx` of `migrate(ctx)`. `rows` counts the rows its statements changed."""

    def __init__(self, step: StepContext, migration: Migration) -> None:
        self._step, self._migration = step, migration
        self.rows = 0
        self.statements = 0  # run so far
        self.last: RunStatement | None = None  # the statement running or last run

    def execute(self, sql: str, params: tuple | Mapping[str, Any] | None = None) -> int | None:
        """Run one statement in a transaction of its own, with bounded lock waits. Returns
        the rows it inserted, updated or deleted (None for DDL and SELECT). Use it for
        statements that are safe to run twice: the migration may run again from the start.
        With `params`, write placeholders as `%s` or `%(name)s` (and `%` as `%%`)."""
        stmt = self._next(sql, "execute")
        index = self._index_built(sql, params)
        if index is not None:  # the INVALID index of a failed build would be kept as is
            self._step.heal_index(self._migration.version, index)
        rows = self._step.run_statement(self._migration.version, stmt, params)
        self.rows += rows or 0
        return rows

    def backfill(
        self,
        table: str,
        *,
        set: str,
        where: str,
        batch_size: int = BATCH_SIZE,
        params: Mapping[str, Any] | None = None,
    ) -> int:
        """`UPDATE table SET <set> WHERE <where>` in batches of `batch_size` rows by primary
        key, each batch its own short transaction. `where` must select the rows not yet
        done (e.g. `col IS NULL`), and `set` must make them not match it: that is what makes
        a backfill resumable. Pauses while a streaming replica lags more than `[online]
        max_replica_lag_seconds`. Returns the rows changed."""
        _check_backfill(table, set, where, batch_size)
        key = self._key(table)
        stmt = self._next(f"backfill {table} SET {set} WHERE {where}", "backfill")
        if params is None:  # no placeholders: a % in the SQL is a % (e.g. modulo)
            set, where = set.replace("%", "%%"), where.replace("%", "%%")
        with self._step.statement_events(self._migration.version, stmt) as done:
            done.rows = _Backfill(self, table, key, batch_size).run(set, where, dict(params or {}))
        self.rows += done.rows
        return done.rows

    def _next(self, text: str, kind: str) -> RunStatement:
        self.last = RunStatement(self.statements, text.strip(), self._caller_line(), kind)
        self.statements += 1
        return self.last

    def _index_built(self, sql: str, params: tuple | Mapping[str, Any] | None) -> IndexBuild | None:
        """The index `sql` builds if it is one CREATE INDEX CONCURRENTLY naming it, else
        None (as for SQL the server will refuse: it says why)."""
        if "concurrently" not in sql.lower():
            return None  # most statements: not parsed
        from .sql import concurrent_index, parse  # pglast: 30 ms to import

        text = sql if params is None else self._step.conn.mogrify(sql, params)
        try:
            statements = parse(text)
        except SqlSyntaxError:
            return None
        return concurrent_index(statements[0]) if len(statements) == 1 else None

    def _caller_line(self) -> int:
        """The line of the migration file that called ctx (0 when it cannot be told)."""
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename != self._migration.path:
            frame = frame.f_back  # type: ignore[assignment]
        return frame.f_lineno if frame is not None else 0

    def _key(self, table: str) -> str:
        columns = catalog.primary_key(self._step.conn, table)
        if columns is None:
            raise PythonMigrationError(f"ctx.backfill: there is no table {table!r}")
        if len(columns) != 1:
            raise PythonMigrationError(
                f"ctx.backfill: {table} has no single-column primary key to batch by",
                "give it one, or write the batches with ctx.execute",
            )
        return columns[0]


def _check_backfill(table: str, set_: str, where: str, batch_size: int) -> None:
    for name, value in (("table", table), ("set", set_), ("where", where)):
        if not isinstance(value, str) or not value.strip():
            raise PythonMigrationError(f"ctx.backfill: {name}= must be a non-empty SQL string")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise PythonMigrationError(
            f"ctx.backfill: batch_size={batch_size!r} must be a whole number of rows, 1 or more"
        )


class _Backfill:
    """One `ctx.backfill`: batches by key, progress events, pauses for lagging replicas."""

    def __init__(self, ctx: MigrationContext, table: str, key: str, batch_size: int) -> None:
        self.step, self.version = ctx._step, ctx._migration.version
        self.table, self.key, self.batch_size = table, key, batch_size
        self.rows = self.batches = self.paused_ms = 0

    def run(self, set_: str, where: str, params: dict[str, Any]) -> int:
        """Batches until no key is left, each committed (and flushed) before the next: an
        asynchronous commit made the batches no faster with the application running, and
        its commits slower (app p99 40 ms against 15, max 300 ms against 160)."""
        low, high = catalog.key_range(self.step.conn, self.table, self.key)
        self._warn_if_blind()
        after = None
        while True:
            self._wait_for_replicas()
            sql = backfill_batch(self.table, self.key, set_, where, first=after is None)
            began = time.perf_counter()
            with self.step.watching():
                row = self.step.conn.query_one(
                    sql, {**params, "_audifi_after": after, "_audifi_batch": self.batch_size}
                )
            last, changed = row if row else (None, 0)
            if last is not None:
                after, self.rows, self.batches = last, self.rows + changed, self.batches + 1
            self._progress(began, _fraction(low, high, after), done=last is None)
            if last is None:
                return self.rows

    def _progress(self, began: float, fraction: float | None, *, done: bool) -> None:
        self.step.emit(
            events.BackfillProgress(
                target=self.step.target,
                version=self.version,
                table=self.table,
                rows=self.rows,
                batches=self.batches,
                batch_ms=int((time.perf_counter() - began) * 1000),
                fraction=1.0 if done else fraction,
                paused_ms=self.paused_ms,
                done=done,
            )
        )

    def _warn_if_blind(self) -> None:
        """Say so once when replicas exist whose lag this role cannot see: the backfill
        would not pause for them."""
        if not self.step.online.max_replica_lag_seconds:
            return
        unseen = catalog.unseen_replicas(self.step.conn)
        if unseen:
            self.step.emit(
                events.ReplicaLagUnseen(
                    target=self.step.target, version=self.version, table=self.table, replicas=unseen
                )
            )

    def _wait_for_replicas(self) -> None:
        """Sleep while a replica's replay lag is over the limit, at most the retry deadline."""
        online = self.step.online
        if not online.max_replica_lag_seconds:
            return
        began = None
        while (lag := catalog.replica_lag(self.step.conn)) and lag[
            1
        ] > online.max_replica_lag_seconds:
            if began is None:
                began = time.monotonic()
                self._paused(*lag)
            elif time.monotonic() - began > online.retry_deadline_seconds:
                raise PythonMigrationError(
                    f"ctx.backfill of {self.table} paused {time.monotonic() - began:.0f} s for "
                    f"replica {lag[0]}, {lag[1]:.1f} s behind (limit [online] "
                    f"max_replica_lag_seconds = {online.max_replica_lag_seconds:g})",
                    "let the replica catch up, then run deploy again: the backfill resumes",
                )
            time.sleep(PAUSE_POLL_SECONDS)
        if began is not None:
            self.paused_ms += int((time.monotonic() - began) * 1000)

    def _paused(self, replica: str, lag: float) -> None:
        self.step.emit(
            events.BackfillPaused(
                target=self.step.target,
                version=self.version,
                table=self.table,
                replica=replica,
                lag_seconds=lag,
                max_lag_seconds=self.step.online.max_replica_lag_seconds,
            )
        )


def _fraction(low: object, high: object, at: object) -> float | None:
    """How far `at` is through [low, high], for numeric keys."""
    numbers = (int, float)
    if not all(isinstance(v, numbers) and not isinstance(v, bool) for v in (low, high, at)):
        return None
    span = high - low  # type: ignore[operator]
    return 1.0 if span <= 0 else round(min(1.0, (at - low) / span), 4)  # type: ignore[operator]
