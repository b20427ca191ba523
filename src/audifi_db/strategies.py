"""How one step is applied. Each kind of step is a strategy that returns an outcome; the
runner alone decides what follows (record, retry, stop).

- `Transactional`: BEGIN, every statement, the `applied` history row, COMMIT: the row and
  the migration's effects happen together or not at all.
- `StatementByStatement` (no-transaction migrations): an `in_progress` row first, then each
  statement in autocommit with the row's progress after it.
- `PythonMigration`: an `in_progress` row, then the file's `migrate(ctx)` (python_context).

A statement cancelled by `lock_timeout` (SQLSTATE 55P03) ends the attempt as `Blocked`, a
failure the runner may retry: nothing of it is half-done.

A strategy emits statement events and writes the history rows that must be written where
it runs (the applied row inside the transaction; in_progress and progress); failures are
recorded by the runner from the outcome.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from . import events
from .config_sections import OnlineSettings
from .errors import LOCK_NOT_AVAILABLE, AudiFiDbError, PythonMigrationError, ServerError
from .model import BlockingSession, IndexBuild, RunStatement, Step
from .postgres import catalog
from .postgres.blockers import LockWatch
from .postgres.connect import Connection
from .postgres.history import History


class Measure(Protocol):
    """What only the migration's own session can see (observe.measure.Measurer).

    `begin` starts the step (with BEGIN for a transactional one, sent in the same round
    trip) and reads the relations its statements name; `end` runs after the last statement,
    before COMMIT, and returns what goes into `MigrationApplied.measurements` and the
    history row's `metrics`. Neither may fail the migration: they swallow their own errors.
    `failed` gives, without a query (the transaction may be aborted), what can be said of
    a step that failed (`begun` None: before `begin`): the failed attempt's `metrics`.
    """

    def begin(self, conn: Connection, stmts: Sequence[RunStatement], transaction: bool) -> Any: ...

    def end(
        self, conn: Connection, begun: Any, rows: Sequence[int | None]
    ) -> Mapping[str, Any]: ...

    def failed(self, begun: Any, rows: Sequence[int | None]) -> Mapping[str, Any]: ...


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
    deferred constraint or trigger); `statement` is the last one that ran; `measurements`
    what was measured until then."""

    statement: RunStatement
    error: ServerError | PythonMigrationError
    duration_ms: int
    started_at: datetime
    phase: str = "statement"
    row_id: int | None = None  # the in_progress row the runner marks failed
    measurements: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Blocked(Failed):
    """A failure the runner may retry: `statement` waited past lock_timeout and was
    cancelled. A transaction was rolled back; a no-transaction migration stopped before
    `statement` (those before it are applied, and recorded in row `row_id`); a Python
    migration stopped where it was (it runs again from the start). `blockers` are the
    sessions it waited for, as seen while it waited."""

    blockers: tuple[BlockingSession, ...] = ()


Outcome = Applied | Failed


@dataclass
class _Done:
    rows: int | None = None


@dataclass
class StepContext:
    """What a strategy may use: the migration's connection, the history, the events, the
    online settings and the watch that names who blocks a statement."""

    conn: Connection
    history: History
    emit: events.Emit
    target: events.Target
    kind: str = "migration"
    measure: Measure | None = None  # reads what only the migration's session sees
    online: OnlineSettings = field(default_factory=OnlineSettings)
    watch: LockWatch | None = None

    def begin(self, stmts: Sequence[RunStatement], transaction: bool) -> Any:
        """BEGIN (when `transaction`), measuring first if there is a measure."""
        if self.measure is not None:
            return self.measure.begin(self.conn, stmts, transaction)
        if transaction:
            self.conn.execute("BEGIN")
        return None

    def end(self, begun: Any, rows: Sequence[int | None]) -> Mapping[str, Any]:
        return self.measure.end(self.conn, begun, rows) if self.measure is not None else {}

    def failed(self, begun: Any, rows: Sequence[int | None]) -> Mapping[str, Any]:
        """What was measured of an attempt that failed (no query)."""
        return self.measure.failed(begun, rows) if self.measure is not None else {}

    @contextmanager
    def statement_events(self, version: str, stmt: RunStatement) -> Iterator[_Done]:
        """Started before the block, finished after it (with the rows it sets on `done`)."""
        self.emit(
            events.StatementStarted(
                target=self.target,
                version=version,
                statement=stmt.index + 1,
                line=stmt.line,
                summary=stmt.summary,
            )
        )
        began, done = time.perf_counter(), _Done()
        yield done
        self.emit(
            events.StatementFinished(
                target=self.target,
                version=version,
                statement=stmt.index + 1,
                line=stmt.line,
                duration_ms=elapsed_ms(began),
                rows_affected=done.rows,
            )
        )

    def run_statement(
        self, version: str, stmt: RunStatement, params: tuple | Mapping | None = None
    ) -> int | None:
        """One statement, between its started and finished events: rows changed or None."""
        with self.statement_events(version, stmt) as done, self.watching():
            done.rows = self.conn.apply(stmt.text, params)
        return done.rows

    def watching(self):
        """While the block runs, the watch samples who blocks the migration's session."""
        return self.watch.watching() if self.watch else nullcontext()

    def heal_index(self, version: str, index: IndexBuild) -> str | None:
        """Before a CREATE INDEX CONCURRENTLY of `index` runs: drop the INVALID index a
        failed build of it left (ours, or one by hand), and say so. The name of a valid one
        found instead (built after all), else None."""
        found = catalog.find_index(self.conn, *index)
        if found is None:
            return None
        qualified, valid = found
        if valid:
            return qualified
        with self.watching():
            catalog.drop_index_concurrently(self.conn, qualified)
        self.emit(
            events.IndexHealed(target=self.target, version=version, index=qualified, dropped=True)
        )
        return None

    def stopped(
        self,
        stmt: RunStatement,
        error: ServerError,
        began: float,
        started_at: datetime,
        phase: str = "statement",
        row_id: int | None = None,
        measured: Mapping[str, Any] | None = None,
    ) -> Failed:
        """The outcome of an attempt stopped by `error`: Blocked on a lock timeout."""
        common = (stmt, error, elapsed_ms(began), started_at, phase, row_id, measured or {})
        if error.sqlstate == LOCK_NOT_AVAILABLE:
            blockers = self.watch.last_blockers() if self.watch else ()
            return Blocked(*common, blockers=blockers)
        return Failed(*common)


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
                migration,
                started_at,
                duration,
                len(stmts),
                rows,
                kind=ctx.kind,
                metrics=measured,
            )
        except ServerError as error:
            if phase == "history" and not ctx.conn.in_transaction():
                phase = "commit"  # the row was written; COMMIT failed (a deferred check)
            else:
                ctx.conn.execute("ROLLBACK")
            so_far = ctx.failed(begun, each)
            return ctx.stopped(stmt, error, began, started_at, phase, measured=so_far)
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
        start, row_id = step.start, step.row_id
        stmt = stmts[start]
        begun, each = None, []
        try:
            if step.heal_index is not None:
                start += _heal(ctx, migration.version, step.heal_index)
            if row_id is None:
                row_id = ctx.history.start(migration, len(stmts), start)
            begun = ctx.begin(stmts[start:], transaction=False)
            for stmt in stmts[start:]:
                if stmt.concurrent_index is not None:  # IF NOT EXISTS skips an INVALID one
                    ctx.heal_index(migration.version, stmt.concurrent_index)
                each.append(ctx.run_statement(migration.version, stmt, None))
                rows += each[-1] or 0
                ctx.history.progress(row_id, stmt.index + 1, rows)
        except ServerError as error:
            so_far = ctx.failed(begun, each)
            return ctx.stopped(stmt, error, began, started_at, row_id=row_id, measured=so_far)
        return Applied(elapsed_ms(began), rows, ctx.end(begun, each), row_id=row_id)


def _heal(ctx: StepContext, version: str, index: IndexBuild) -> int:
    """Before retrying a CREATE INDEX CONCURRENTLY: drop the INVALID index it left (0: retry
    it), or skip it if the index was built after all (1: its run was cut short after the
    build, before the history said so)."""
    built = ctx.heal_index(version, index)
    if built is None:
        return 0
    ctx.emit(events.IndexHealed(target=ctx.target, version=version, index=built, dropped=False))
    return 1


class PythonMigration:
    """A Python migration: its `migrate(ctx)`, outside any single transaction, between an
    `in_progress` row and the runner's verdict. Interrupted, it runs again from the start."""

    def apply(self, ctx: StepContext, step: Step, stmts: Sequence[RunStatement]) -> Outcome:
        from .python_context import MigrationContext

        migration, started_at, began = step.migration, datetime.now(UTC), time.perf_counter()
        row_id = step.row_id if step.row_id is not None else ctx.history.start(migration, 1, 0)
        mctx = MigrationContext(ctx, migration)
        try:
            namespace = {"__name__": f"migration_{migration.version}", "__file__": migration.path}
            exec(compile(migration.sql, migration.path, "exec"), namespace)
            namespace["migrate"](mctx)
        except ServerError as error:
            return ctx.stopped(mctx.last or stmts[0], error, began, started_at, row_id=row_id)
        except Exception as exc:  # noqa: BLE001 - the migration's own code failed
            if isinstance(exc, AudiFiDbError) and not isinstance(exc, PythonMigrationError):
                raise  # a lost connection: the run stops; the next deploy runs it again
            stmt = _raised_at(exc, stmts[0], migration.path)
            return Failed(stmt, _as_error(exc), elapsed_ms(began), started_at, row_id=row_id)
        ctx.history.progress(row_id, 1, mctx.rows)
        return Applied(elapsed_ms(began), mctx.rows, row_id=row_id)


def _as_error(exc: Exception) -> PythonMigrationError:
    if isinstance(exc, PythonMigrationError):
        return exc
    return PythonMigrationError(f"{type(exc).__name__}: {exc}")


def _raised_at(exc: Exception, stmt: RunStatement, path: str) -> RunStatement:
    """`stmt` (the migration's `migrate(ctx)`) at the line of the file where `exc` was
    raised (its last frame in the file: the line calling what failed)."""
    import traceback

    lines = [
        frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == path
    ]
    return stmt._replace(line=lines[-1]) if lines and lines[-1] else stmt


def strategy_for(step: Step) -> Transactional | StatementByStatement | PythonMigration:
    if step.migration.is_python:
        return PythonMigration()
    return Transactional() if step.migration.transactional else StatementByStatement()
