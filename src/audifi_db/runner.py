"""Execute a plan: each step in its own transaction (or statement by statement when marked
no-transaction), its history row written with it, events emitted, never printing.

The caller holds the migration lock for the whole run.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
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
    def __init__(self, conn: Connection, history: History, sink: events.EventSink) -> None:
        self.conn, self.history, self.sink = conn, history, sink

    def run(self, steps: Sequence[Step], statements: Mapping[str, Sequence[Statement]]) -> int:
        """Apply every step in order; stop at the first failure (MigrationFailed)."""
        began = time.perf_counter()
        for step in steps:
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
        self.sink.emit(events.RunFinished(len(steps), _elapsed_ms(began)))
        return len(steps)

    def _run_transactional(self, migration: Migration, stmts: Sequence[Statement]) -> None:
        started_at, began = datetime.now(UTC), time.perf_counter()
        rows = 0
        self.conn.execute("BEGIN")
        stmt = stmts[0]
        try:
            for stmt in stmts:
                rows += max(self.conn.execute(stmt.text), 0)
            duration = _elapsed_ms(began)
            self.history.record_applied(migration, started_at, duration, len(stmts), rows)
            self.conn.execute("COMMIT")
        except ServerError as error:
            self.conn.execute("ROLLBACK")
            duration = _elapsed_ms(began)
            self.history.record_failed(
                migration, started_at, duration, len(stmts), stmt.index, _failure(stmt, error)
            )
            self._fail(migration, stmt, len(stmts), error, duration, transactional=True)
        self._applied(migration, duration, len(stmts), rows)

    def _run_statement_by_statement(self, step: Step, stmts: Sequence[Statement]) -> None:
        migration, began, rows = step.migration, time.perf_counter(), 0
        if step.heal_index is not None:
            self._heal(migration, *step.heal_index)
        row_id = self.history.start(migration, len(stmts), step.start)
        for stmt in stmts[step.start :]:
            try:
                rows += max(self.conn.execute(stmt.text), 0)
            except ServerError as error:
                duration = _elapsed_ms(began)
                self.history.fail(row_id, duration, _failure(stmt, error))
                self._fail(migration, stmt, len(stmts), error, duration, transactional=False)
            self.history.progress(row_id, stmt.index + 1, rows)
        duration = _elapsed_ms(began)
        self.history.finish(row_id, duration)
        self._applied(migration, duration, len(stmts), rows)

    def _heal(self, migration: Migration, schema: str | None, name: str) -> None:
        invalid = catalog.invalid_index(self.conn, schema, name)
        if invalid is not None:
            catalog.drop_index_concurrently(self.conn, invalid)
            self.sink.emit(events.IndexHealed(migration.version, invalid))

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
        *,
        transactional: bool,
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
        if transactional:
            hint = "the migration was rolled back as a whole; fix it and run deploy again"
        else:
            hint = (
                f"statements 1-{stmt.index} stayed applied (no-transaction migration); fix the "
                f"cause, then `audifi-db resolve {migration.version} --applied` or "
                "`--rolled-back` after checking the database"
            )
        raise MigrationFailed(
            f"{migration.path}:{line}: migration {migration.version} failed at statement "
            f"{stmt.index + 1} of {total}: {error} [SQLSTATE {error.sqlstate}]",
            hint,
        )


def error_line(stmt: Statement, error: ServerError) -> int:
    """The file line of the error: the statement's line, moved to the error's position if any."""
    if not error.position:
        return stmt.line
    return stmt.line + stmt.text[: error.position - 1].count("\n")


def _failure(stmt: Statement, error: ServerError) -> dict:
    return {
        "failed_statement": stmt.text,
        "failed_line": error_line(stmt, error),
        "error": f"{error} [SQLSTATE {error.sqlstate}]",
    }
