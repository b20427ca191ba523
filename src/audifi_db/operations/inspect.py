"""Read-only operations: status, validate, erd. None creates anything or takes the lock."""

from __future__ import annotations

from typing import NamedTuple

from .. import discovery
from ..config import Settings
from ..model import MigrationStatus, State
from ..planning import is_in_sync, statuses
from .common import database_url


class StatusReport(NamedTuple):
    environment: str
    database: str
    migrations: tuple[MigrationStatus, ...]

    @property
    def in_sync(self) -> bool:
        return is_in_sync(self.migrations)

    def counts(self) -> dict[str, int]:
        counts = {state.value: 0 for state in State if state != State.ROLLED_BACK}
        for item in self.migrations:
            counts[item.state] += 1  # a StrEnum member is its value as a key
        return counts

    def next_step(self) -> str:
        """What to run next, for the last line of `status` ("" when in sync)."""
        env = "" if self.environment == "local" else f" --env {self.environment}"
        by_state: dict[State, list[MigrationStatus]] = {}
        for item in self.migrations:
            by_state.setdefault(item.state, []).append(item)
        drift = by_state.get(State.CHANGED, []) + by_state.get(State.MISSING, [])
        if drift:
            return (
                f"{len(drift)} changed or missing: restore the files as applied "
                f"(`audifi-db validate{env}` lists them), then deploy"
            )
        for item in by_state.get(State.FAILED, []) + by_state.get(State.IN_PROGRESS, []):
            if item.last and item.last.transactional:
                return f"{item.version} failed: fix it, then run `audifi-db deploy{env}`"
            return (
                f"{item.version} {item.state.value}: check the database, then "
                f"`audifi-db resolve {item.version} --applied{env}` or `--rolled-back`"
            )
        pending = by_state.get(State.PENDING, [])
        if pending:
            return f"{len(pending)} pending: run `audifi-db deploy{env}`"
        return ""

    def to_json(self) -> dict:
        """The shape of `audifi-db status --json` (also read back by the promotion gate)."""
        return {
            "environment": self.environment,
            "database": self.database,
            "in_sync": self.in_sync,
            "next_step": self.next_step(),
            "counts": self.counts(),
            "migrations": [migration_json(item) for item in self.migrations],
        }


def migration_json(item: MigrationStatus) -> dict:
    last, migration = item.last, item.migration
    unsettled = item.state in (State.FAILED, State.IN_PROGRESS)
    return {
        "version": item.version,
        "name": item.name,
        "state": item.state.value,
        "file": migration.path if migration else None,
        "checksum": migration.checksum if migration else None,
        "applied_checksum": last.checksum if last else None,
        "transactional": migration.transactional if migration else last.transactional,  # type: ignore[union-attr]
        "started_at": last.started_at.isoformat() if last and last.started_at else None,
        "finished_at": last.finished_at.isoformat() if last and last.finished_at else None,
        "duration_ms": last.duration_ms if last else None,
        "statements_applied": last.statements_applied if last else None,
        "statements_total": last.statements_total if last else None,
        "error": last.error if last and unsettled else None,
        "failed_line": last.failed_line if last and unsettled else None,
        "applied_by": last.applied_by if last else None,
        "notes": dict(last.notes) if last and last.notes else {},
    }


_OVERRIDES = {
    "skip_staging_check": "staging check skipped",
    "skip_backup": "backup skipped",
    "allow_out_of_order": "applied out of order",
}


def overrides(item: MigrationStatus) -> list[str]:
    """What a human overrode to apply this migration, for people: `backup skipped: <reason>
    (by <who>)`."""
    notes = item.last.notes if item.last else {}
    said = []
    for key, label in _OVERRIDES.items():
        if key in notes:
            note = notes[key]
            reason = f": {note['reason']}" if note.get("reason") else ""
            said.append(f"{label}{reason} (by {note.get('by') or 'unknown'})")
    return said


def status(settings: Settings) -> StatusReport:
    """Every migration's state; read-only (creates nothing, takes no lock)."""
    from ..postgres.connect import connect
    from ..postgres.history import History

    migrations = discovery.discover(settings.migrations.dir)
    with connect(database_url(settings), f"audifi-db ({settings.environment})") as conn:
        items = statuses(migrations, History.of(conn, settings).read())
    return StatusReport(settings.environment, settings.url_for_humans, tuple(items))


def validate(settings: Settings) -> list[MigrationStatus]:
    """Applied migrations whose file changed or disappeared (empty when all match)."""
    report = status(settings)
    return [item for item in report.migrations if item.state in (State.CHANGED, State.MISSING)]


def erd(settings: Settings, *, keys_only: bool = True) -> str:
    """A Mermaid ER diagram of the live database's managed schemas."""
    from ..erd import render_mermaid
    from ..postgres.connect import connect
    from ..postgres.introspect import read_schema

    with connect(database_url(settings)) as conn:
        tables, foreign_keys = read_schema(
            conn, settings.migrations.schemas, settings.history.table
        )
    return render_mermaid(tables, foreign_keys, keys_only=keys_only)
