"""Values that flow from files to plan to run: frozen dataclasses, no behaviour beyond naming."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    IN_PROGRESS = "in_progress"
    ROLLED_BACK = "rolled_back"
    PENDING = "pending"
    CHANGED = "changed"
    MISSING = "missing"


# States a history row can hold; the rest are derived by comparing history with files.
RECORDED_STATES = (State.APPLIED, State.FAILED, State.IN_PROGRESS, State.ROLLED_BACK)


@dataclass(frozen=True)
class Migration:
    """One migration file: `<version>_<name>.sql`."""

    version: str
    name: str
    path: str
    checksum: str
    sql: str
    transactional: bool

    @property
    def filename(self) -> str:
        return f"{self.version}_{self.name}.sql"


@dataclass(frozen=True)
class HistoryRow:
    """One attempt to apply a migration, as the history table records it."""

    id: int
    version: str
    name: str
    checksum: str
    state: State
    transactional: bool
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    statements_applied: int = 0
    statements_total: int = 0
    failed_statement: str | None = None
    failed_line: int | None = None
    error: str | None = None
    rows_affected: int | None = None
    applied_by: str | None = None
    tool_version: str | None = None
    environment: str | None = None


@dataclass(frozen=True)
class MigrationStatus:
    """A version's state: its file (if any) and its latest history row (if any)."""

    version: str
    name: str
    state: State
    migration: Migration | None
    last: HistoryRow | None


@dataclass(frozen=True)
class Step:
    """Apply `migration` from statement `start` (0 unless resuming a no-transaction one).

    `heal_index` names an INVALID index left by a failed CREATE INDEX CONCURRENTLY, to be
    dropped before the statement is retried. `retry_of` is the failed attempt being retried.
    """

    migration: Migration
    start: int = 0
    heal_index: tuple[str | None, str] | None = None
    retry_of: HistoryRow | None = None


@dataclass(frozen=True)
class Plan:
    statuses: tuple[MigrationStatus, ...]
    steps: tuple[Step, ...]
