"""A run: lock -> plan -> guards -> each step via its strategy -> outcome -> history -> events.

The runner never prints: all it has to say is an event (see events.py). It alone touches
the migration's connection, and it alone decides what follows a step's outcome: record
and go on, try again after a lock timeout (with backoff, until [online]
retry_deadline_seconds), or record and stop. What only the migration's own session can see
(the locks it holds just before COMMIT, the sizes of what it touched) is measured by the
`measure` given to it (strategies.Measure, observe.measure), stored in the history row's
`metrics` and published in `MigrationApplied.measurements`.
"""

from __future__ import annotations

import getpass
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from . import events
from .config import Settings
from .errors import AudiFiDbError
from .failures import blocked, failure_error, failure_record
from .guards import GuardContext, Verdict, run_guards, with_reasons
from .model import DONE_STATES, Migration, Plan, RunOptions, RunStatement, Step
from .online import Backoff, LockWaits, session_settings
from .planning import not_yet_applied, plan_deploy, statements_of, statuses
from .postgres.blockers import LockWatch
from .postgres.connect import Connection, cancel_on_interrupt, connect, interrupted
from .postgres.history import History
from .postgres.lock import ensure_held, lock_key, migration_lock
from .strategies import (
    Applied,
    Blocked,
    Failed,
    Measure,
    Outcome,
    StepContext,
    elapsed_ms,
    strategy_for,
)

_CANCELLED = "57014"


@dataclass(frozen=True)
class RunResult:
    plan: Plan
    statements: Mapping[str, Sequence[RunStatement]]
    applied: int
    verdicts: tuple[Verdict, ...] = ()


def target_of(settings: Settings) -> events.Target:
    return events.Target(settings.environment, settings.database_name, settings.url_for_humans)


def who_runs() -> str:
    """Who gave an override: the CI actor or the OS user, and the machine."""
    user = os.environ.get("GITHUB_ACTOR") or getpass.getuser()
    return f"{user}@{socket.gethostname()}"


def run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


@dataclass
class Session:
    conn: Connection
    history: History
    ensure_locked: Callable[[], None] = lambda: None


class Runner:
    """Runs one command (`deploy`, `dev`, `reset`, `seed`) against one database."""

    def __init__(
        self,
        settings: Settings,
        url: str,
        emit: events.Emit,
        *,
        command: str = "deploy",
        options: RunOptions | None = None,
        measure: Measure | None = None,
    ) -> None:
        self.settings, self.url, self.emit = settings, url, emit
        self.command, self.options = command, with_reasons(options or RunOptions())
        self.measure = measure
        self.target = target_of(settings)
        self.rows_applied: dict[str, int] = {}  # version -> rows changed, per applied step
        self.waits = LockWaits()  # of the migration being applied

    @property
    def applied(self) -> int:
        return len(self.rows_applied)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A connection and the history table, no lock: for read-only work."""
        with connect(self.url, f"audifi-db ({self.settings.environment})") as conn:
            yield Session(conn, History.of(conn, self.settings))

    @contextmanager
    def locked(self) -> Iterator[Session]:
        """A session holding the migration lock (on a second, dedicated connection). The
        history table is ensured, under the lock, by whoever is about to write to it, so that
        a command refused before it writes leaves no trace."""
        cancel_on_interrupt()
        with self.session() as session, connect(self.url, "audifi-db lock") as lock_conn:
            key = lock_key(self.settings.history.schema, self.settings.history.table)
            began = time.perf_counter()

            def waiting(holder: object) -> None:
                described = holder.describe() if holder else None  # type: ignore[attr-defined]
                self.emit(events.LockWaiting(target=self.target, holder=described))

            with migration_lock(lock_conn, key, self.settings.lock.wait_seconds, waiting):
                self.emit(events.LockAcquired(target=self.target, waited_ms=elapsed_ms(began)))
                session.ensure_locked = lambda: ensure_held(lock_conn)
                yield session

    def deploy(
        self,
        migrations: Sequence[Migration],
        prepare: Callable[[Connection], None] | None = None,
    ) -> RunResult:
        """Plan, ask the guards, apply: the whole run, reported as events.

        `prepare` runs under the lock before planning (reset drops the schemas there)."""
        began = time.perf_counter()
        try:
            if self.options.dry_run:
                with self.session() as session:
                    result, _ = self._plan_and_guard(session, migrations)
            else:
                result = self._run(migrations, prepare)
        except (AudiFiDbError, KeyboardInterrupt) as error:
            self._failed(error, began)
            raise
        self._finished(began)
        return RunResult(result.plan, result.statements, self.applied, result.verdicts)

    def _finished(self, began: float) -> None:
        self.emit(
            events.RunFinished(
                target=self.target,
                command=self.command,
                applied=self.applied,
                duration_ms=elapsed_ms(began),
            )
        )

    def _run(
        self, migrations: Sequence[Migration], prepare: Callable[[Connection], None] | None
    ) -> RunResult:
        with self.locked() as session:
            if prepare is not None:
                prepare(session.conn)
            result, guarded = self._plan_and_guard(session, migrations)
            refusal = next((v.refusal for v in result.verdicts if not v.passed), None)
            if refusal is not None:
                raise refusal
            if result.plan.steps:
                session.history.ensure()
            notes = {k: v for verdict in result.verdicts for k, v in verdict.notes.items()}
            history = session.history.for_run(guarded.run_id, notes)
            try:
                self.apply(session, history, result.plan.steps, result.statements)
            finally:
                guarded.run_ended()
        return result

    def load_seeds(self, seeds: Sequence[Migration]) -> list[tuple[str, int | None]]:
        """Apply each seed file not yet loaded with its current checksum, in one transaction
        each, recorded in the history as kind `seed`. (file, rows) pairs; rows None: skipped."""
        began = time.perf_counter()
        try:
            with self.locked() as session:
                loaded = {
                    row.version: row.checksum
                    for row in session.history.read(kind="seed")
                    if row.state in DONE_STATES
                }
                todo = [s for s in seeds if loaded.get(s.version) != s.checksum]
                statements = {s.version: statements_of(s) for s in todo}
                if todo:
                    session.history.ensure()
                self.emit(
                    events.RunStarted(
                        target=self.target,
                        command=self.command,
                        pending=tuple(s.filename for s in todo),
                        pending_total=len(todo),
                    )
                )
                history = session.history.for_run(run_id(), {})
                steps = [Step(s) for s in todo]
                self.apply(session, history, steps, statements, kind="seed")
        except (AudiFiDbError, KeyboardInterrupt) as error:
            self._failed(error, began)
            raise
        self._finished(began)
        return [(s.path, self.rows_applied.get(s.version)) for s in seeds]

    def _plan_and_guard(
        self, session: Session, migrations: Sequence[Migration]
    ) -> tuple[RunResult, GuardContext]:
        items = statuses(migrations, session.history.read())
        unapplied = not_yet_applied(items)
        statements = {m.version: statements_of(m) for m in unapplied}
        plan = plan_deploy(
            items,
            statements,
            up_to=self.options.up_to,
            allow_out_of_order=self.options.allow_out_of_order
            or self.settings.migrations.order == "allow",
        )
        self.emit(
            events.RunStarted(
                target=self.target,
                command=self.command,
                pending=tuple(step.migration.filename for step in plan.steps),
                dry_run=self.options.dry_run,
                pending_total=len(unapplied),
            )
        )
        ctx = GuardContext(
            self.settings,
            self.command,
            session.conn,
            plan,
            self.options,
            self.emit,
            self.target,
            who_runs(),
            url=self.url,
            run_id=run_id(),
        )
        return RunResult(plan, statements, 0, tuple(run_guards(ctx))), ctx

    def apply(
        self,
        session: Session,
        history: History,
        steps: Sequence[Step],
        statements: Mapping[str, Sequence[RunStatement]],
        kind: str = "migration",
    ) -> int:
        """Each step in order via its strategy, every statement under the bounded lock
        waits of [online]; stop at the first failure."""
        online = self.settings.online
        session.conn.configure(*session_settings(online))
        watch = LockWatch(self.url, session.conn.backend_pid)
        ctx = StepContext(
            session.conn, history, self.emit, self.target, kind, self.measure, online, watch
        )
        try:
            for step in steps:
                self._apply_step(session, ctx, step, statements[step.migration.version])
        finally:
            watch.close()
        return self.applied

    def _apply_step(
        self, session: Session, ctx: StepContext, step: Step, stmts: Sequence[RunStatement]
    ) -> None:
        session.ensure_locked()
        migration = step.migration
        self.emit(
            events.MigrationStarted(
                target=self.target,
                version=migration.version,
                name=migration.name,
                transactional=migration.transactional,
                statements=len(stmts),
                start=step.start,
                retry=step.retry_of is not None,
                backend_pid=session.conn.backend_pid,
            )
        )
        self.waits = LockWaits()
        outcome = self._attempts(session, ctx, step, stmts)
        if isinstance(outcome, Failed):
            self._record_failure(ctx.history, migration, stmts, outcome, ctx.kind)  # raises
        self._record_success(ctx.history, migration, stmts, outcome, ctx.kind)
        if migration.is_python or any(stmt.changes_session for stmt in stmts):
            session.conn.reset_session()

    def _attempts(
        self, session: Session, ctx: StepContext, step: Step, stmts: Sequence[RunStatement]
    ) -> Outcome:
        """Apply the step; after a lock timeout, again (with backoff and jitter) until
        [online] retry_deadline_seconds, each wait and retry an event."""
        backoff = Backoff(self.settings.online.retry_deadline_seconds, time.monotonic())
        began, attempt = time.perf_counter(), 1
        while True:
            outcome = strategy_for(step).apply(ctx, step, stmts)
            if not isinstance(outcome, Blocked):
                return outcome
            delay = backoff.next_delay(time.monotonic())
            self.emit(
                events.LockTimedOut(
                    target=self.target,
                    version=step.migration.version,
                    statement=outcome.statement.index + 1,
                    line=outcome.statement.line,
                    attempt=attempt,
                    attempt_ms=outcome.duration_ms,
                    blockers=tuple(b._asdict() for b in outcome.blockers),
                    retry_in_ms=None if delay is None else int(delay * 1000),
                )
            )
            self.waits.add(outcome.blockers)
            if delay is None:
                return outcome
            try:
                time.sleep(delay)
            except KeyboardInterrupt:
                self._record_failure(ctx.history, step.migration, stmts, outcome, ctx.kind, True)
            session.ensure_locked()
            step, attempt = _resumed(step, outcome), attempt + 1
            self.emit(
                events.LockRetry(
                    target=self.target,
                    version=step.migration.version,
                    attempt=attempt,
                    from_statement=step.start + 1,
                    since_first_ms=elapsed_ms(began),
                )
            )

    def _record_success(
        self,
        history: History,
        migration: Migration,
        stmts: Sequence[RunStatement],
        outcome: Applied,
        kind: str,
    ) -> None:
        waits = self.waits.metrics(gave_up=False)
        measurements = {**outcome.measurements, **waits}
        if outcome.row_id is not None:
            history.finish(outcome.row_id, measurements)
        elif waits:  # the row was committed with the migration: what its retries saw joins it
            history.add_metrics(migration.version, kind, waits)
        self.rows_applied[migration.version] = outcome.rows
        self.emit(
            events.MigrationApplied(
                target=self.target,
                version=migration.version,
                name=migration.name,
                duration_ms=outcome.duration_ms,
                statements=len(stmts),
                rows_affected=outcome.rows,
                measurements=measurements,
            )
        )

    def _record_failure(
        self,
        history: History,
        migration: Migration,
        stmts: Sequence[RunStatement],
        outcome: Failed,
        kind: str,
        interrupted_now: bool = False,
    ) -> None:
        """Record the failed attempt with what was measured until it failed, say so, and
        stop the run."""
        stmt, error, phase = outcome.statement, outcome.error, outcome.phase
        failure = failure_record(outcome)
        metrics = {**outcome.measurements, **self.waits.metrics(gave_up=blocked(outcome))}
        if outcome.row_id is not None:
            history.fail(outcome.row_id, failure, metrics)
        else:
            applied = stmt.index if phase == "statement" else len(stmts)
            history.record_failed(
                migration,
                outcome.started_at,
                outcome.duration_ms,
                len(stmts),
                applied,
                failure,
                kind=kind,
                metrics=metrics,
            )
        self.emit(
            events.MigrationFailed(
                target=self.target,
                version=migration.version,
                name=migration.name,
                path=migration.path,
                line=failure["failed_line"],
                statement=stmt.index + 1,
                statements=len(stmts),
                sqlstate=error.sqlstate,
                error=str(error),
                duration_ms=outcome.duration_ms,
                failed_statement=failure["failed_statement"],
            )
        )
        raise failure_error(
            migration,
            stmts,
            outcome,
            self.command,
            interrupted=interrupted_now or (error.sqlstate == _CANCELLED and interrupted()),
            attempts=self.waits.timeouts,
        )

    def _failed(self, error: AudiFiDbError | KeyboardInterrupt, began: float) -> None:
        self.emit(
            events.RunFailed(
                target=self.target,
                command=self.command,
                error=type(error).__name__,
                message=getattr(error, "message", "interrupted (Ctrl-C)"),
                hint=getattr(error, "hint", ""),
                applied=self.applied,
                duration_ms=elapsed_ms(began),
            )
        )


def _resumed(step: Step, outcome: Blocked) -> Step:
    """The next attempt after a lock timeout: a no-transaction migration carries on at the
    blocked statement (healing the INVALID index a cancelled CREATE INDEX CONCURRENTLY
    left), a Python migration starts again from the top, both in the same history row; a
    transactional one starts again from the top (it left no row)."""
    if step.migration.transactional:
        return step
    if step.migration.is_python:
        return step._replace(row_id=outcome.row_id)
    stmt = outcome.statement
    return step._replace(start=stmt.index, heal_index=stmt.concurrent_index, row_id=outcome.row_id)
