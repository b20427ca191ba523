"""How one step is applied. Each kind of step is a strategy that returns an outcome; the
runner alone decides what follows (record, retry, stop).

- `Transactional`: BEGIN, every statement, the `applied` history row, COMMIT: the row and
  the migration's effects happen together or not at all.
- `StatementByStatement` (no-transaction migrations): an `in_progress` row first, then each
  statement in autocommit with the row's progress after it.

A strategy emits statement events and writes the history rows that must be written where
it runs (the applied row inside the transaction; in_progress and progress); failures are
recorded by the runner from the outcome.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from . import events
from .errors import ServerError
from .model import RunStatement, Step
from .postgres import catalog
from .postgres.connect import Connection
from .postgres.history import History


class Measure(Protocol):
    """What only the migration's own session can see (observe.measure.Measurer).

    `begin` starts the step (with BEGIN for a transactional one, sent in the same round
    trip) and reads the relations its statements name; `end` runs after the last statement,
    before COMMIT, and returns what goes into `MigrationApplied.measurements` and the
    history row's `metrics`. Neither may fail the migration: they swallow their own errors.
    """

    def begin(self, conn: Connection, stmts: Sequence[RunStatement], transaction: bool) -> Any: ...

    def end(
        self, conn: Connection, begun: Any, rows: Sequence[int | None]
    ) -> Mapping[str, Any]: ...


def elapsed_ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)


@dataclass(frozen=True)
class Applied:
    duration_ms: int
    rows: int
    measurements: Mapping[str, Any] = field(default_factory=dict)
    row_id: int | None = None  # the in_progress row the runner marks applied


@dataclass(frozen=True)
class Failed:
    """`phase` says where: a `statement`, writing the `history` row, or the `commit` (a
    deferred constraint or trigger); `statement` is the last one that ran."""

    statement: RunStatement
    error: ServerError
    duration_ms: int
    started_at: datetime
    phase: str = "statement"
    row_id: int | None = None  # the in_progress row the runner marks failed


Outcome = Applied | Failed


@dataclass
class StepContext:
    """What a strategy may use: the migration's connection, the history, the events."""

    conn: Connection
    history: History
    emit: events.Emit
    target: events.Target
    kind: str = "migration"
    measure: Measure | None = None  # reads what only the migration's session sees

    def begin(self, stmts: Sequence[RunStatement], transaction: bool) -> Any:
        """BEGIN (when `transaction`), measuring first if there is a measure."""
        if self.measure is not None:
            return self.measure.begin(self.conn, stmts, transaction)
        if transaction:
            self.conn.execute("BEGIN")
        return None

    def end(self, begun: Any, rows: Sequence[int | None]) -> Mapping[str, Any]:
        return self.measure.end(self.conn, begun, rows) if self.measure is not None else {}

    def run_statement(self, version: str, stmt: RunStatement) -> int | None:
        """One statement, between its started and finished events: rows changed or None."""
        self.emit(
            events.StatementStarted(
                target=self.target,
                version=version,
                statement=stmt.index + 1,
                line=stmt.line,
                summary=stmt.summary,
            )
        )
        began = time.perf_counter()
        rows = self.conn.apply(stmt.text)
        self.emit(
            events.StatementFinished(
                target=self.target,
                version=version,
                statement=stmt.index + 1,
                line=stmt.line,
                duration_ms=elapsed_ms(began),
                rows_affected=rows,
            )
        )
        return rows


class Transactional:
    """The migration and its `applied` history row in one transaction."""

    def apply(self, ctx: StepContext, step: Step, stmts: Sequence[RunStatement]) -> Outcome:
        migration = step.migration
        started_at, began = datetime.now(UTC), time.perf_counter()
        each: list[int | None] = []
        phase = "statement"
        stmt = stmts[0]
        begun = ctx.begin(stmts, transaction=True)
        try:
            for stmt in stmts:
                each.append(ctx.run_statement(migration.version, stmt))
            rows = sum(n or 0 for n in each)
            measured = ctx.end(begun, each)
            duration = elapsed_ms(began)
            phase = "history"
            ctx.history.record_applied(
                migration, started_at, duration, len(stmts), rows, kind=ctx.kind, metrics=measured
            )
            phase = "commit"
            ctx.conn.execute("COMMIT")
        except ServerError as error:
            ctx.conn.execute("ROLLBACK")
            return Failed(stmt, error, elapsed_ms(began), started_at, phase)
        return Applied(duration, rows, measured)


class StatementByStatement:
    """A no-transaction migration: each statement on its own, progress recorded after each."""

    def apply(self, ctx: StepContext, step: Step, stmts: Sequence[RunStatement]) -> Outcome:
        migration, started_at, began, rows = (
            step.migration,
            datetime.now(UTC),
            time.perf_counter(),
            0,
        )
        start = step.start
        if step.heal_index is not None:
            start += _heal(ctx, migration.version, *step.heal_index)
        row_id = ctx.history.start(migration, len(stmts), start)
        begun, each = ctx.begin(stmts[start:], transaction=False), []
        for stmt in stmts[start:]:
            try:
                each.append(ctx.run_statement(migration.version, stmt))
            except ServerError as error:
                return Failed(stmt, error, elapsed_ms(began), started_at, row_id=row_id)
            rows += each[-1] or 0
            ctx.history.progress(row_id, stmt.index + 1, rows)
        return Applied(elapsed_ms(began), rows, ctx.end(begun, each), row_id=row_id)


def _heal(ctx: StepContext, version: str, schema: str | None, name: str) -> int:
    """Before retrying a CREATE INDEX CONCURRENTLY: drop the INVALID index it left (0: retry
    it), or skip it if the index was built after all (1: its run was cut short after the
    build, before the history said so)."""
    found = catalog.find_index(ctx.conn, schema, name)
    if found is None:
        return 0
    qualified, valid = found
    if not valid:
        catalog.drop_index_concurrently(ctx.conn, qualified)
    ctx.emit(
        events.IndexHealed(target=ctx.target, version=version, index=qualified, dropped=not valid)
    )
    return 1 if valid else 0


def strategy_for(step: Step) -> Transactional | StatementByStatement:
    return Transactional() if step.migration.transactional else StatementByStatement()
