"""How a failed step is told: the history's failure record, the error's message, and what
the human does next. Pure text; the runner decides and records (runner.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import (
    AudiFiDbError,
    InterruptedRunError,
    LockDeadlineError,
    MigrationFailedError,
    PythonMigrationError,
    ServerError,
)
from .model import NO_TRANSACTION_RULE, Migration, RunStatement

if TYPE_CHECKING:  # pure text: the outcomes are read, never made, here
    from .strategies import Failed

# SQLSTATEs of a statement that cannot run inside a transaction block.
_ACTIVE_SQL_TRANSACTION = "25001"
_NEEDS_NO_TRANSACTION = {_ACTIVE_SQL_TRANSACTION, "2D000"}
# Statements that run code: what PostgreSQL refuses inside a transaction block (25001) it
# refuses there too, from a function, whatever the migration's directive.
_RUN_CODE = {"DoStmt", "CallStmt"}
_FROM_A_FUNCTION = (
    "the statement that failed was run from a function (a DO block or a procedure is one), "
    "where PostgreSQL never runs it, with or without the no-transaction directive: run it as "
    "a top-level statement of a no-transaction migration"
)
# Where a transactional migration failed when it was not one of its statements.
_PHASE_WHERE = {
    "history": "recording it in the history table (the migration was rolled back with it)",
    "commit": "COMMIT (a deferred constraint or trigger)",
}
_PHASE_STATEMENT = {"history": "INSERT INTO <history table>", "commit": "COMMIT"}


def error_line(stmt: RunStatement, error: ServerError | PythonMigrationError) -> int:
    """The file line of the error: the statement's line, moved to the error's position if any."""
    if not error.position:
        return stmt.line
    return stmt.line + stmt.text[: error.position - 1].count("\n")


def blocked(outcome: Failed) -> bool:
    """Whether the attempt was cancelled by a lock timeout (a `Blocked` outcome)."""
    return hasattr(outcome, "blockers")


def failure_record(outcome: Failed) -> dict:
    """The history's columns for a failed attempt."""
    stmt, error = outcome.statement, outcome.error
    sqlstate = f" [SQLSTATE {error.sqlstate}]" if error.sqlstate else ""
    return {
        "failed_statement": _PHASE_STATEMENT.get(outcome.phase, stmt.text),
        "failed_line": error_line(stmt, error),
        "error": f"{error}{sqlstate}",
        "sqlstate": error.sqlstate,
    }


def failure_error(
    migration: Migration,
    stmts: Sequence[RunStatement],
    outcome: Failed,
    command: str,
    *,
    interrupted: bool = False,
    attempts: int = 1,
) -> AudiFiDbError:
    """The error that stops the run after `outcome`, naming the file, line and cause."""
    stmt, error = outcome.statement, outcome.error
    line = error_line(stmt, error)
    hint = next_step(migration, stmt, outcome, command)
    if interrupted:
        return InterruptedRunError(
            f"interrupted: {migration.path}:{line}: statement {stmt.index + 1} of migration "
            f"{migration.version} was cancelled",
            hint,
        )
    if blocked(outcome):
        who = "; ".join(b.describe() for b in outcome.blockers) or "a session not identified"  # type: ignore[attr-defined]
        return LockDeadlineError(
            f"{migration.path}:{line}: migration {migration.version} gave up waiting for locks "
            f"after {attempts} attempt(s): statement {stmt.index + 1} was last blocked by {who}",
            hint,
        )
    where = _where(migration, stmts, outcome)
    sqlstate = f" [SQLSTATE {error.sqlstate}]" if error.sqlstate else ""
    return MigrationFailedError(
        f"{migration.path}:{line}: migration {migration.version} failed at {where}: "
        f"{error}{sqlstate}",
        hint,
    )


def _where(migration: Migration, stmts: Sequence[RunStatement], outcome: Failed) -> str:
    if migration.is_python:
        return "migrate(ctx)"
    stmt = outcome.statement
    return _PHASE_WHERE.get(outcome.phase, f"statement {stmt.index + 1} of {len(stmts)}")


def next_step(migration: Migration, stmt: RunStatement, outcome: Failed, command: str) -> str:
    """What the human does after a failure, by kind of migration, statement and error."""
    again = f"`audifi-db {command}`"
    sqlstate = outcome.error.sqlstate
    if blocked(outcome):
        done = (
            "nothing of it was applied"
            if migration.transactional or not stmt.index
            else f"statements 1-{stmt.index} stayed applied and {again} resumes at {stmt.index + 1}"
        )
        if migration.is_python:
            done = f"{again} runs it again from the start"
        return (
            f"{done}; end the blocking session or wait for it, then run {again} again "
            "(or raise [online] retry_deadline_seconds)"
        )
    if migration.is_python:
        return (
            f"fix the cause, then run {again} again: a Python migration runs again from the "
            "start (its steps must be safe to repeat)"
        )
    from_a_function = stmt.kind in _RUN_CODE and sqlstate == _ACTIVE_SQL_TRANSACTION
    if migration.transactional and from_a_function:
        return (
            f"the migration was rolled back as a whole; {_FROM_A_FUNCTION}, then run {again} again"
        )
    if migration.transactional and sqlstate in _NEEDS_NO_TRANSACTION:
        return (
            "the migration was rolled back as a whole; this statement cannot run inside a "
            f"transaction: {NO_TRANSACTION_RULE}, then run {again} again"
        )
    if migration.transactional:
        return f"the migration was rolled back as a whole; fix it and run {again} again"
    if stmt.concurrent_index:
        return (
            "fix the cause (e.g. duplicate values), then run "
            f"{again} again: it drops the INVALID index this left and retries the statement"
        )
    return (
        (f"{_FROM_A_FUNCTION}; " if from_a_function else "")
        + f"{stmt.index} statement(s) before it stayed applied (no-transaction migration); "
        f"check the database, then `audifi-db resolve {migration.version} --applied` "
        f"(you finished it by hand) or `--rolled-back` (you undid it; {again} runs it again)"
    )
