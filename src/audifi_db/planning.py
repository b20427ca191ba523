"""Pure planning: files + history -> each version's state, and the steps deploy takes.

No I/O. `statuses` compares what is on disk with what the database recorded; `plan_deploy`
turns that into steps, and into blockers: what a human must settle before deploy may run
(an edited or missing applied migration, an unresolved no-transaction failure, a pending
migration older than the newest applied one). Blockers are values; the first guard of a
run refuses on them, and a dry run lists them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from .errors import LOCK_NOT_AVAILABLE, MigrationFileError
from .model import (
    DONE_STATES,
    NO_TRANSACTION_DIRECTIVE,
    NO_TRANSACTION_RULE,
    Blocker,
    HistoryRow,
    Migration,
    MigrationStatus,
    Plan,
    RunStatement,
    State,
    Step,
)

if TYPE_CHECKING:  # pglast is imported when a migration is parsed, not by every command
    from .sql import Statement

IN_SYNC_STATES = DONE_STATES
NOT_YET_APPLIED = frozenset({State.PENDING, State.FAILED, State.IN_PROGRESS})


def latest_attempts(history: Iterable[HistoryRow]) -> dict[str, HistoryRow]:
    """The newest history row of each version."""
    latest: dict[str, HistoryRow] = {}
    for row in history:
        if row.version not in latest or row.id > latest[row.version].id:
            latest[row.version] = row
    return latest


def statuses(
    migrations: Sequence[Migration], history: Iterable[HistoryRow]
) -> list[MigrationStatus]:
    """Each version on disk or in history, with its state, in version order."""
    latest = latest_attempts(history)
    on_disk = {migration.version: migration for migration in migrations}
    result = []
    for version in sorted(on_disk.keys() | latest.keys()):
        migration, row = on_disk.get(version), latest.get(version)
        state = _state(migration, row)
        if state is None:
            continue
        name = migration.name if migration else row.name  # type: ignore[union-attr]
        result.append(MigrationStatus(version, name, state, migration, row))
    return result


def _state(migration: Migration | None, row: HistoryRow | None) -> State | None:
    if row is None or row.state == State.ROLLED_BACK:
        return State.PENDING if migration else None
    if migration is None:
        left_something = row.state != State.FAILED or not row.transactional
        return State.MISSING if left_something else None
    if row.state in DONE_STATES and row.checksum != migration.checksum:
        return State.CHANGED
    return row.state


def is_in_sync(items: Iterable[MigrationStatus]) -> bool:
    return all(item.state in IN_SYNC_STATES for item in items)


def not_yet_applied(items: Iterable[MigrationStatus]) -> list[Migration]:
    """The migrations deploy would run (pending, failed or in_progress), in order."""
    return [i.migration for i in items if i.state in NOT_YET_APPLIED and i.migration]


def plan_deploy(
    items: Sequence[MigrationStatus],
    statements: Mapping[str, Sequence[RunStatement]],
    *,
    up_to: str | None = None,
    allow_out_of_order: bool = False,
) -> Plan:
    """Steps for every migration deploy must run (up to and including `up_to`), in version
    order, and the blockers that keep it from running.

    `statements` holds the parsed statements of each migration not yet applied. A failed
    transactional attempt left nothing behind (its transaction rolled back), so it is run
    again. A failed or interrupted no-transaction migration blocks unless it stopped at a
    CREATE INDEX CONCURRENTLY: then the invalid index is healed and the migration resumes
    from that statement. A pending migration older than the newest applied one blocks
    unless `allow_out_of_order`.
    """
    blockers = [blocker for item in items if (blocker := _drift(item))]
    newest_done = max((i.version for i in items if i.state in DONE_STATES), default="")
    steps, late = [], []
    for item in items:
        if up_to is not None and item.version > up_to:
            break
        if item.state == State.PENDING:
            steps.append(Step(item.migration))  # type: ignore[arg-type]
            if item.version < newest_done:
                late.append(item.version)
        elif item.state in (State.FAILED, State.IN_PROGRESS):
            step = _retry(item, statements[item.version])
            if isinstance(step, Blocker):
                blockers.append(step)
            else:
                steps.append(step)
    if late and not allow_out_of_order:
        blockers.extend(_out_of_order(items, version, newest_done) for version in late)
    return Plan(tuple(items), tuple(steps), tuple(blockers), tuple(late))


def _drift(item: MigrationStatus) -> Blocker | None:
    if item.state == State.CHANGED:
        return Blocker(
            "changed",
            item.version,
            f"{item.migration.path}: applied migration {item.version} was edited "  # type: ignore[union-attr]
            "since it was applied (checksum differs)",
            "restore the file as applied and make the change in a new migration; "
            "on a local database `audifi-db reset` starts over",
        )
    if item.state == State.MISSING:
        return Blocker(
            "missing",
            item.version,
            f"migration {item.version}_{item.name} is recorded in the database "
            "but its file is gone",
            "restore the file from version control (deploy from a branch that has it)",
        )
    return None


def _out_of_order(items: Sequence[MigrationStatus], version: str, newest: str) -> Blocker:
    path = next(i.migration.path for i in items if i.version == version and i.migration)
    return Blocker(
        "out_of_order",
        version,
        f"{path}: pending migration {version} is older than {newest}, the newest applied",
        "give it a newer version (`audifi-db new` picks one), or apply it anyway with "
        "`--allow-out-of-order` (recorded in the history)",
    )


def _retry(item: MigrationStatus, statements: Sequence[RunStatement]) -> Step | Blocker:
    migration, row = item.migration, item.last
    assert migration is not None and row is not None
    if (row.state == State.FAILED and row.transactional) or migration.is_python:
        return Step(migration, retry_of=row)  # it left nothing, or it is safe to run again
    if row.checksum == migration.checksum and row.statements_applied < len(statements):
        start = row.statements_applied
        index = statements[start].concurrent_index
        if index is not None or row.sqlstate == LOCK_NOT_AVAILABLE:
            # a lock timeout cancelled the statement whole (a concurrent build: healed)
            return Step(migration, start=start, heal_index=index, retry_of=row)
    where = f"statement {row.statements_applied + 1} of {row.statements_total}"
    resolve = (
        f"check what was applied, then run `audifi-db resolve {item.version} --applied` "
        f"or `audifi-db resolve {item.version} --rolled-back`"
    )
    if row.state == State.IN_PROGRESS:
        return Blocker(
            "unresolved",
            item.version,
            f"{migration.path}: migration {item.version} is in_progress: a runner stopped "
            f"during {where} (no-transaction migrations are applied statement by statement)",
            resolve,
        )
    return Blocker(
        "unresolved",
        item.version,
        f"{migration.path}: migration {item.version} failed at {where}: {row.error}",
        resolve,
    )


def statements_of(migration: Migration) -> list[RunStatement]:
    """The migration's statements, refusing what would break its transaction contract:
    a statement that cannot run in a transaction without the no-transaction directive, and
    transaction control of its own. Raises before anything runs. A Python migration has
    one: its `migrate(ctx)`."""
    if migration.is_python:
        return [python_entry(migration)]
    from .sql import is_transaction_control, parse, run_statement  # pglast: 30 ms to import

    statements = parse(migration.sql, migration.path)
    if not statements:
        raise MigrationFileError(
            f"{migration.path}: no SQL statements (only comments)", "write the migration's SQL"
        )
    for stmt in statements:
        _refuse_never_from_a_function(migration, stmt)
        if is_transaction_control(stmt):
            raise MigrationFileError(
                f"{migration.path}:{stmt.line}: transaction control ({stmt.text.split()[0]}) "
                "inside a migration",
                "remove it: audifi-db runs each migration in its own transaction, or "
                f"statement by statement with `{NO_TRANSACTION_DIRECTIVE}`",
            )
    runnable = [run_statement(stmt) for stmt in statements]
    for stmt in runnable:
        if stmt.no_transaction_reason and migration.transactional:
            raise MigrationFileError(
                f"{migration.path}:{stmt.line}: {stmt.no_transaction_reason} cannot run "
                "inside a transaction",
                f"{NO_TRANSACTION_RULE} (and keep that migration to such statements)",
            )
    return runnable


def _refuse_never_from_a_function(migration: Migration, statement: Statement) -> None:
    """A DO block that runs a statement PostgreSQL never runs from a function (VACUUM,
    CREATE INDEX CONCURRENTLY, … through EXECUTE or written out) fails whatever the
    migration's directives: refused before anything runs."""
    from .sql import expand, never_from_a_function

    if statement.node_type != "DoStmt":
        return
    for inner in expand(statement)[1:]:
        what = never_from_a_function(inner)
        if what:
            how = "run by EXECUTE in a DO block" if inner.inside == "EXECUTE" else "in a DO block"
            raise MigrationFileError(
                f"{migration.path}:{inner.line}: {what} ({how}) cannot be executed from a "
                "function, even in a no-transaction migration",
                "run it as a top-level statement of a no-transaction migration, a migration of "
                f"its own: {NO_TRANSACTION_RULE}; nothing was applied",
            )


def python_entry(migration: Migration) -> RunStatement:
    """The `def migrate(ctx)` of a Python migration, refusing a file that does not parse or
    lacks it (without running any of it)."""
    import ast

    try:
        tree = ast.parse(migration.sql, migration.path)
    except SyntaxError as exc:
        raise MigrationFileError(
            f"{migration.path}:{exc.lineno}:{exc.offset}: {exc.msg}",
            "fix the Python; nothing was applied",
        ) from None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "migrate":
            args = node.args
            if len(args.posonlyargs) + len(args.args) == 1 and not args.kwonlyargs:
                return RunStatement(0, "migrate(ctx)", node.lineno, "PythonMigration")
            raise MigrationFileError(
                f"{migration.path}:{node.lineno}: migrate must take one argument, ctx",
                "write `def migrate(ctx):`",
            )
    raise MigrationFileError(
        f"{migration.path}: no `def migrate(ctx):` at the top level",
        "define it: audifi-db calls migrate(ctx) to apply the migration",
    )
