"""The library API: one function per command, for the CLI and for scripts.

Each takes Settings (and a sink where a run reports progress) and returns values; none prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import discovery, events
from .config import Settings
from .errors import (
    ConfigError,
    LintFailed,
    MigrationFailed,
    MigrationFileError,
    PlanError,
    RefusedError,
)
from .model import Migration, MigrationStatus, Plan, State
from .planning import is_in_sync, plan_deploy, statuses
from .postgres import catalog
from .postgres.connect import Connection, ServerError, cancel_on_interrupt, connect
from .postgres.history import History
from .postgres.lock import ensure_held, lock_key, migration_lock
from .runner import Runner

if TYPE_CHECKING:  # pglast is imported only when SQL is parsed
    from .sql import Statement


def database_url(settings: Settings) -> str:
    """The URL to use: the configured one, or the embedded server's (local only)."""
    if settings.database_url is not None:
        return settings.database_url
    from .postgres import embedded

    return embedded.start(settings.embedded_data_dir, settings.embedded_database)


@dataclass(frozen=True)
class Session:
    conn: Connection
    history: History
    ensure_locked: Callable[[], None] = lambda: None


@contextmanager
def open_session(settings: Settings, url: str) -> Iterator[Session]:
    with connect(url, f"audifi-db ({settings.environment})") as conn:
        history = History(
            conn, settings.history_schema, settings.history_table, settings.environment
        )
        yield Session(conn, history)


@contextmanager
def locked_session(settings: Settings, url: str, sink: events.EventSink) -> Iterator[Session]:
    """A session holding the migration lock (on a second, dedicated connection)."""
    cancel_on_interrupt()
    with open_session(settings, url) as session, connect(url, "audifi-db lock") as lock_conn:
        key = lock_key(settings.history_schema, settings.history_table)
        notify = lambda holder: sink.emit(  # noqa: E731
            events.LockWaiting(holder.describe() if holder else None)
        )
        with migration_lock(lock_conn, key, settings.lock_wait_seconds, notify):
            session.history.ensure()
            yield replace(session, ensure_locked=lambda: ensure_held(lock_conn))


def parse_migration(migration: Migration) -> list[Statement]:
    """The migration's statements, refusing what would break its transaction contract."""
    from .sql import is_transaction_control, no_transaction_reason, parse

    statements = parse(migration.sql, migration.path)
    if not statements:
        raise MigrationFileError(
            f"{migration.path}: no SQL statements (only comments)", "write the migration's SQL"
        )
    for stmt in statements:
        reason = no_transaction_reason(stmt)
        if reason and migration.transactional:
            raise MigrationFileError(
                f"{migration.path}:{stmt.line}: {reason} cannot run inside a transaction",
                f"add the line `-- {discovery.DIRECTIVE_PREFIX[3:]} "
                f"{discovery.NO_TRANSACTION}` to the file's leading comment lines "
                "(and keep that migration to such statements)",
            )
        if is_transaction_control(stmt):
            raise MigrationFileError(
                f"{migration.path}:{stmt.line}: transaction control ({stmt.text.split()[0]}) "
                "inside a migration",
                "remove it: audifi-db runs each migration in its own transaction, or "
                "statement by statement with the no-transaction directive",
            )
    return statements


NOT_YET_APPLIED = (State.PENDING, State.FAILED, State.IN_PROGRESS)


def _statements_to_run(items: Sequence[MigrationStatus]) -> dict[str, list[Statement]]:
    return {
        item.version: parse_migration(item.migration)
        for item in items
        if item.state in NOT_YET_APPLIED and item.migration
    }


@dataclass(frozen=True)
class DeployResult:
    plan: Plan
    statements: dict[str, list[Statement]]
    applied: int


def deploy(settings: Settings, sink: events.EventSink, *, dry_run: bool = False) -> DeployResult:
    """Apply every pending migration in version order, stopping at the first failure."""
    migrations = discovery.discover(settings.migrations_dir)
    url = database_url(settings)
    if dry_run:
        with open_session(settings, url) as session:
            items = statuses(migrations, session.history.read())
            statements = _statements_to_run(items)
            return DeployResult(plan_deploy(items, statements), statements, 0)
    with locked_session(settings, url, sink) as session:
        items = statuses(migrations, session.history.read())
        statements = _statements_to_run(items)
        plan = plan_deploy(items, statements)
        if settings.protected:
            version = settings.lint_server_version or catalog.server_version(session.conn)
            refuse_lint_errors([step.migration for step in plan.steps], version)
        runner = Runner(session.conn, session.history, sink, session.ensure_locked)
        applied = runner.run(plan.steps, statements)
        return DeployResult(plan, statements, applied)


@dataclass(frozen=True)
class StatusReport:
    environment: str
    database: str
    migrations: tuple[MigrationStatus, ...]

    @property
    def in_sync(self) -> bool:
        return is_in_sync(self.migrations)

    def counts(self) -> dict[str, int]:
        counts = {state.value: 0 for state in State if state != State.ROLLED_BACK}
        for item in self.migrations:
            counts[item.state.value] += 1
        return counts


def status(settings: Settings) -> StatusReport:
    """Every migration's state; read-only (creates nothing, takes no lock)."""
    migrations = discovery.discover(settings.migrations_dir)
    url = database_url(settings)
    with open_session(settings, url) as session:
        items = statuses(migrations, session.history.read())
    return StatusReport(settings.environment, settings.url_for_humans, tuple(items))


def validate(settings: Settings) -> list[MigrationStatus]:
    """Applied migrations whose file changed or disappeared (empty when all match)."""
    report = status(settings)
    return [item for item in report.migrations if item.state in (State.CHANGED, State.MISSING)]


def refuse_protected(settings: Settings, command: str) -> None:
    if settings.protected:
        raise RefusedError(
            f"`{command}` is refused for the {settings.environment} environment",
            "it is for local databases only",
        )


def reset(settings: Settings, sink: events.EventSink) -> DeployResult:
    """Drop the managed schemas and the history, then apply every migration again."""
    refuse_protected(settings, "reset")
    migrations = discovery.discover(settings.migrations_dir)
    for migration in migrations:
        parse_migration(migration)
    url = database_url(settings)
    with locked_session(settings, url, sink) as session:
        schemas = tuple(dict.fromkeys((*settings.managed_schemas, settings.history_schema)))
        catalog.recreate_schemas(session.conn, schemas)
        session.history.ensure()
    return deploy(settings, sink)


def resolve(settings: Settings, version: str, state: State) -> MigrationStatus:
    """Record a human's verdict on a failed or in_progress migration."""
    migrations = {m.version: m for m in discovery.discover(settings.migrations_dir)}
    url = database_url(settings)
    with locked_session(settings, url, events.NullSink()) as session:
        items = {
            item.version: item for item in statuses(migrations.values(), session.history.read())
        }
        item = items.get(version)
        if item is None or item.state not in (State.FAILED, State.IN_PROGRESS):
            found = item.state.value if item else "unknown"
            raise PlanError(
                f"migration {version} is {found}; only a failed or in_progress migration "
                "can be resolved",
                "see `audifi-db status`",
            )
        migration = migrations.get(version)
        checksum = migration.checksum if migration else item.last.checksum  # type: ignore[union-attr]
        session.history.resolve(item.last, state, checksum)  # type: ignore[arg-type]
        rows = session.history.read()
    return next(i for i in statuses(list(migrations.values()), rows) if i.version == version)


def new(settings: Settings, name: str) -> Path:
    return discovery.create_migration(settings.migrations_dir, name)


def dev(settings: Settings, sink: events.EventSink) -> DeployResult:
    """The local loop: lint the pending migrations, then deploy them to the local database.

    Refused for staging and production."""
    refuse_protected(settings, "dev")
    refuse_lint_errors(pending_migrations(settings), lint_server_version(settings))
    return deploy(settings, sink)


def pending_migrations(settings: Settings) -> list[Migration]:
    """The migrations not yet applied to the target (pending, failed or in_progress)."""
    items = status(settings).migrations
    return [i.migration for i in items if i.state in NOT_YET_APPLIED and i.migration]


def lint_server_version(settings: Settings) -> int:
    """[lint] server_version if set, else the target database's own."""
    if settings.lint_server_version:
        return settings.lint_server_version
    with open_session(settings, database_url(settings)) as session:
        return catalog.server_version(session.conn)


def lint_pending(settings: Settings, server_version: int | None = None) -> list:
    """Findings of the migrations not yet applied to the target environment, each judged
    against the target's live schema and the pending migrations before it."""
    with open_session(settings, database_url(settings)) as session:
        pending = _pending(settings, session)
        return lint_against_target(settings, pending, session.conn, server_version)


def _pending(settings: Settings, session: Session) -> list[Migration]:
    items = statuses(discovery.discover(settings.migrations_dir), session.history.read())
    return [i.migration for i in items if i.state in NOT_YET_APPLIED and i.migration]


def lint_against_target(
    settings: Settings,
    migrations: Sequence[Migration],
    conn: Connection,
    server_version: int | None = None,
) -> list:
    """Findings of `migrations`, pending on the database behind `conn`: the schema model
    starts from its live catalogue (with table sizes), what earlier pending migrations
    create is new, and the planner estimates how many rows a data change writes. For the
    lint gate of `dev` and `deploy`."""
    version = server_version or settings.lint_server_version or catalog.server_version(conn)
    return _lint_live(migrations, version, conn)


def _lint_live(migrations: Sequence[Migration], server_version: int, conn: Connection) -> list:
    from .lint.engine import lint_pending as lint_migrations
    from .lint.schema import from_catalog
    from .postgres.catalog_schema import estimate_rows, read_catalog

    schema = from_catalog(read_catalog(conn))
    return lint_migrations(
        migrations,
        server_version,
        schema=schema,
        estimate=lambda sql: estimate_rows(conn, [sql]).get(sql),
    )


def explain_pending(settings: Settings, server_version: int | None = None) -> list:
    """`lint --explain` of the pending migrations: (path, explained statements) pairs,
    judged against the target's live schema."""
    from .lint.engine import explain_source
    from .lint.schema import from_catalog
    from .postgres.catalog_schema import read_catalog

    with open_session(settings, database_url(settings)) as session:
        pending = _pending(settings, session)
        conn = session.conn
        version = server_version or settings.lint_server_version or catalog.server_version(conn)
        schema = from_catalog(read_catalog(conn))
    return [(m.path, explain_source(m.path, m.sql, version, schema=schema)) for m in pending]


def refuse_lint_errors(
    migrations: Sequence[Migration], server_version: int, *, conn: Connection | None = None
) -> None:
    """LintFailed (with the whole report) when a migration has an unacknowledged error.
    With `conn`, the migrations are judged against that database's live schema."""
    from .lint.engine import blocking
    from .lint.engine import lint_pending as lint_migrations

    if conn is not None:
        findings = _lint_live(migrations, server_version, conn)
    else:
        findings = lint_migrations(migrations, server_version)
    errors = blocking(findings)
    if errors:
        first = errors[0]
        raise LintFailed(
            f"{len(errors)} unacknowledged lint error(s), first {first.file}:{first.line} "
            f"[{first.rule}]; nothing was applied",
            "follow the recipe, or acknowledge with `-- audifi-db: allow <rule-id> <reason>` "
            "on the line before the statement",
            findings,
        )


def seed(settings: Settings) -> list[tuple[str, int]]:
    """Load db/seeds/*.sql into a local, fully migrated database, all in one transaction.

    Returns (file, rows inserted) pairs. Refused for protected environments.
    """
    from .runner import error_line
    from .sql import parse

    refuse_protected(settings, "seed")
    files = sorted(settings.seeds_dir.glob("*.sql"))
    if not files:
        raise ConfigError(f"no seed files in {settings.seeds_dir}", "add db/seeds/*.sql")
    parsed = [
        (display, parse(discovery.read_sql(path), display))
        for path in files
        for display in [discovery.display_path(path)]
    ]
    report = status(settings)
    if not report.in_sync:
        raise PlanError(
            "the database is not in sync with the migrations", "run `audifi-db dev` first"
        )
    loaded = []
    with open_session(settings, database_url(settings)) as session:
        session.conn.execute("BEGIN")
        for path, statements in parsed:
            rows = 0
            for stmt in statements:
                try:
                    rows += max(session.conn.execute(stmt.text), 0)
                except ServerError as error:
                    session.conn.execute("ROLLBACK")
                    raise MigrationFailed(
                        f"{path}:{error_line(stmt, error)}: seed failed: {error} "
                        f"[SQLSTATE {error.sqlstate}]",
                        "nothing was loaded; if the sample data is there already, "
                        "`audifi-db reset --force` starts over",
                    ) from None
            loaded.append((path, rows))
        session.conn.execute("COMMIT")
    return loaded


def erd(settings: Settings, *, keys_only: bool = True) -> str:
    """A Mermaid ER diagram of the live database's managed schemas."""
    from .erd import render_mermaid
    from .postgres.introspect import read_schema

    with open_session(settings, database_url(settings)) as session:
        tables, foreign_keys = read_schema(
            session.conn, settings.managed_schemas, settings.history_table
        )
    return render_mermaid(tables, foreign_keys, keys_only=keys_only)
