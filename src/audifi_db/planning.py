"""Pure planning: files + history -> each version's state, and the steps deploy takes.

No I/O. `statuses` compares what is on disk with what the database recorded; `plan_deploy`
turns that into steps, or refuses with a PlanError that says what a human must do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from .errors import PlanError
from .model import HistoryRow, Migration, MigrationStatus, Plan, State, Step

if TYPE_CHECKING:  # pglast costs 30 ms to import; `status` never parses SQL
    from .sql import Statement

IN_SYNC_STATES = frozenset({State.APPLIED})


def latest_attempts(history: Iterable[HistoryRow]) -> dict[str, HistoryRow]:
    """The newest history row of each version."""
    latest: dict[str, HistoryRow] = {}
    for row in sorted(history, key=lambda row: row.id):
        latest[row.version] = row
    return latest


def statuses(
    migrations: Sequence[Migration], history: Iterable[HistoryRow]
) -> list[MigrationStatus]:
    """Each version on disk or in history, with its state, in version order."""
    latest = latest_attempts(history)
    on_disk = {migration.version: migration for migration in migrations}
    result = []
    for version in sorted(set(on_disk) | set(latest)):
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
    if row.state == State.APPLIED and row.checksum != migration.checksum:
        return State.CHANGED
    return row.state


def is_in_sync(items: Iterable[MigrationStatus]) -> bool:
    return all(item.state in IN_SYNC_STATES for item in items)


def plan_deploy(
    items: Sequence[MigrationStatus], statements: Mapping[str, Sequence[Statement]]
) -> Plan:
    """Steps for every migration deploy must run, in version order, or a PlanError.

    `statements` holds the parsed statements of each migration that is not yet applied.
    A failed transactional attempt left nothing behind (its transaction rolled back), so it
    is simply run again. A failed or interrupted no-transaction migration is refused unless
    it stopped at a CREATE INDEX CONCURRENTLY: then the invalid index is healed and the
    migration resumes from that statement.
    """
    _refuse_drift(items)
    steps = []
    for item in items:
        if item.state == State.PENDING:
            steps.append(Step(item.migration))  # type: ignore[arg-type]
        elif item.state in (State.FAILED, State.IN_PROGRESS):
            steps.append(_retry(item, statements[item.version]))
    return Plan(tuple(items), tuple(steps))


def _refuse_drift(items: Sequence[MigrationStatus]) -> None:
    for item in items:
        if item.state == State.CHANGED:
            raise PlanError(
                f"{item.migration.path}: applied migration {item.version} was edited "  # type: ignore[union-attr]
                "since it was applied (checksum differs)",
                "restore the file as applied and make the change in a new migration; "
                "on a local database `audifi-db reset` starts over",
            )
        if item.state == State.MISSING:
            raise PlanError(
                f"migration {item.version}_{item.name} is recorded in the database "
                "but its file is gone",
                "restore the file from version control (deploy from a branch that has it)",
            )


def _retry(item: MigrationStatus, statements: Sequence[Statement]) -> Step:
    from .sql import index_name

    migration, row = item.migration, item.last
    assert migration is not None and row is not None
    if row.state == State.FAILED and row.transactional:
        return Step(migration, retry_of=row)
    where = f"statement {row.statements_applied + 1} of {row.statements_total}"
    resolve = (
        f"check what was applied, then run `audifi-db resolve {item.version} --applied` "
        f"or `audifi-db resolve {item.version} --rolled-back`"
    )
    if row.checksum == migration.checksum and row.statements_applied < len(statements):
        index = index_name(statements[row.statements_applied])
        concurrent = statements[row.statements_applied].body.get("concurrent")
        if index is not None and concurrent:
            return Step(migration, start=row.statements_applied, heal_index=index, retry_of=row)
    if row.state == State.IN_PROGRESS:
        raise PlanError(
            f"{migration.path}: migration {item.version} is in_progress: a runner stopped "
            f"during {where} (no-transaction migrations are applied statement by statement)",
            resolve,
        )
    raise PlanError(
        f"{migration.path}: migration {item.version} failed at {where}: {row.error}", resolve
    )
