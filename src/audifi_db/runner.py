"""Execute a plan: each step in its own transaction (or statement by statement when marked
no-transaction), its history row written with it, events emitted, never printing.

The caller holds the migration lock for the whole run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import events
from .errors import MigrationFailed
from .model import Migration, Step
from .postgres import catalog
from .postgres.connect import Connection, ServerError
from .postgres.history import History

if TYPE_CHECKING:
    from .sql import Statement


def _elapsed_ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)


class Runner:
    def __init__(
        self,
        conn: Connection,
        history: History,
        sink: events.EventSink,
        ensure_locked: Callable[[], None] = lambda: None,
    ) -> None:
        self.conn, self.history, self.sink = conn, history, sink
        self.ensure_locked = ensure_locked

    def run(self, steps: Sequence[Step], statements: Mapping[str, Sequence[Statement]]) -> int:
        """Apply every step in order; stop at the first failure (MigrationFailed)."""
        began = time.perf_counter()
        for step in steps:
            self.ensure_locked()
            stmts = statements[step.migration.version]
            self.sink.emit(
                events.MigrationStarted(
                    step.migration.version,
                    step.migration.name,
                    step.migration.transactional,
                    len(stmts),
                    step.start,
                    step.retry_of is not None,
                )
            )
            if step.migration.transactional:
                self._run_transactional(step.migration, stmts)
            else:
                self._run_statement_by_statement(step, stmts)
            if any(_changes_session(stmt) for stmt in stmts):
                self.conn.reset_session()
        self.sink.emit(events.RunFinished(len(steps), _elapsed_ms(began)))
        return len(steps)

    def _run_transactional(self, migration: Migration, stmts: Sequence[Statement]) -> None:
        started_at, began = datetime.now(UTC), time.perf_counter()
        rows, committing = 0, False
        self.conn.execute("BEGIN")
        stmt = stmts[0]
        try:
            for stmt in stmts:
                rows += max(self.conn.execute(stmt.text), 0)
            duration = _elapsed_ms(began)
            self.history.record_applied(migration, started_at, duration, len(stmts), rows)
            committing = True
            self.conn.execute("COMMIT")
        except ServerError as error:
            self.conn.execute("ROLLBACK")
            duration = _elapsed_ms(began)
            failure = _failure(stmt, error, committing)
            applied = len(stmts) if committing else stmt.index
            self.history.record_failed(
                migration, started_at, duration, len(stmts), applied, failure
            )
            self._fail(migration, stmt, len(stmts), error, duration, committing)
        self._applied(migration, duration, len(stmts), rows)

    def _run_statement_by_statement(self, step: Step, stmts: Sequence[Statement]) -> None:
        migration, began, rows = step.migration, time.perf_counter(), 0
        start = step.start
        if step.heal_index is not None:
            start += self._heal(migration, *step.heal_index)
        row_id = self.history.start(migration, len(stmts), start)
        for stmt in stmts[start:]:
            try:
                rows += max(self.conn.execute(stmt.text), 0)
            except ServerError as error:
                duration = _elapsed_ms(began)
                self.history.fail(row_id, duration, _failure(stmt, error))
                self._fail(migration, stmt, len(stmts), error, duration)
            self.history.progress(row_id, stmt.index + 1, rows)
        duration = _elapsed_ms(began)
        self.history.finish(row_id, duration)
        self._applied(migration, duration, len(stmts), rows)

    def _heal(self, migration: Migration, schema: str | None, name: str) -> int:
        """Before retrying a CREATE INDEX CONCURRENTLY: drop the INVALID index it left (0:
        retry it), or skip it if the index was built after all (1: its run was cut short
        after the build, before the history said so)."""
        found = catalog.find_index(self.conn, schema, name)
        if found is None:
            return 0
        qualified, valid = found
        if not valid:
            catalog.drop_index_concurrently(self.conn, qualified)
        self.sink.emit(events.IndexHealed(migration.version, qualified, dropped=not valid))
        return 1 if valid else 0

    def _applied(self, migration: Migration, duration: int, total: int, rows: int) -> None:
        self.sink.emit(
            events.MigrationApplied(migration.version, migration.name, duration, total, rows)
        )

    def _fail(
        self,
        migration: Migration,
        stmt: Statement,
        total: int,
        error: ServerError,
        duration: int,
        at_commit: bool = False,
    ) -> None:
        line = error_line(stmt, error)
        self.sink.emit(
            events.MigrationFailed(
                migration.version,
                migration.name,
                migration.path,
                line,
                stmt.index + 1,
                total,
                error.sqlstate,
                str(error),
                duration,
            )
        )
        where = (
            "COMMIT (a deferred constraint or trigger)"
            if at_commit
            else (f"statement {stmt.index + 1} of {total}")
        )
        raise MigrationFailed(
            f"{migration.path}:{line}: migration {migration.version} failed at {where}: "
            f"{error} [SQLSTATE {error.sqlstate}]",
            _next_step(migration, stmt),
        )


def _next_step(migration: Migration, stmt: Statement) -> str:
    """What the human does after a failure, by kind of migration and statement."""
    from .sql import index_name

    if migration.transactional:
        return "the migration was rolled back as a whole; fix it and run deploy again"
    if stmt.body.get("concurrent") and index_name(stmt):
        return (
            "fix the cause (e.g. duplicate values); the next deploy drops the INVALID index "
            "this left and retries the statement"
        )
    return (
        f"{stmt.index} statement(s) before it stayed applied (no-transaction migration); "
        f"check the database, then `audifi-db resolve {migration.version} --applied` or "
        "`--rolled-back`"
    )


def _changes_session(stmt: Statement) -> bool:
    """A SET (not SET LOCAL) or RESET: its effect would outlive the migration's transaction."""
    return stmt.node_type == "VariableSetStmt" and not stmt.body.get("is_local")


def error_line(stmt: Statement, error: ServerError) -> int:
    """The file line of the error: the statement's line, moved to the error's position if any."""
    if not error.position:
        return stmt.line
    return stmt.line + stmt.text[: error.position - 1].count("\n")


def _failure(stmt: Statement, error: ServerError, at_commit: bool = False) -> dict:
    return {
        "failed_statement": "COMMIT" if at_commit else stmt.text,
        "failed_line": error_line(stmt, error),
        "error": f"{error} [SQLSTATE {error.sqlstate}]",
    }
