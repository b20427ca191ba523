"""Values that flow from files to plan to run: named tuples (cheap to define and to make:
every command imports them, a deploy makes thousands), no behaviour beyond naming."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

DIRECTIVE_PREFIX = "-- audifi-db:"
NO_TRANSACTION = "no-transaction"
NO_TRANSACTION_DIRECTIVE = f"{DIRECTIVE_PREFIX} {NO_TRANSACTION}"
# The one way the rule is said: in errors, hints, lint findings, `new`'s header, the README.
NO_TRANSACTION_WHERE = "in the migration's leading comment lines (before its first statement)"
NO_TRANSACTION_RULE = f"put the line `{NO_TRANSACTION_DIRECTIVE}` {NO_TRANSACTION_WHERE}"
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class State(StrEnum):
    APPLIED = "applied"
    BASELINED = "baselined"
    FAILED = "failed"
    IN_PROGRESS = "in_progress"
    ROLLED_BACK = "rolled_back"
    PENDING = "pending"
    CHANGED = "changed"
    MISSING = "missing"


# States a history row can hold; the rest are derived by comparing history with files.
RECORDED_STATES = (
    State.APPLIED,
    State.BASELINED,
    State.FAILED,
    State.IN_PROGRESS,
    State.ROLLED_BACK,
)
# States in which a migration's effect is in the database.
DONE_STATES = frozenset({State.APPLIED, State.BASELINED})


class Directive(NamedTuple):
    """`-- audifi-db: NAME ARGUMENT` in a migration's leading comment lines."""

    line: int
    name: str
    argument: str = ""


class Migration(NamedTuple):
    """One migration file: `<version>_<name>.sql`. (A named tuple, not a dataclass: a
    folder of thousands is read on every command, and this is 6x cheaper to build.)"""

    version: str
    name: str
    path: str
    checksum: str
    sql: str
    directives: tuple[Directive, ...] = ()

    @property
    def is_python(self) -> bool:
        """A Python migration (`migrate(ctx)`): run outside a single transaction."""
        return self.path.endswith(".py")

    @property
    def transactional(self) -> bool:
        if self.is_python:
            return False
        return not any(d.name == NO_TRANSACTION for d in self.directives)

    @property
    def filename(self) -> str:
        return self.path.rpartition("/")[2]


class HistoryRow(NamedTuple):
    """One attempt to apply a migration (or load a seed: `kind`), as the history records it.

    `notes` holds what a human decided for the run (an override and its reason, who gave
    it); `metrics` what was measured while it ran. Both are JSON objects. A named tuple,
    like the database row it is: thousands are read by `status`.
    """

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
    kind: str = "migration"
    run_id: str | None = None
    sqlstate: str | None = None
    notes: Mapping[str, Any] = _EMPTY
    metrics: Mapping[str, Any] = _EMPTY


class MigrationStatus(NamedTuple):
    """A version's state: its file (if any) and its latest history row (if any)."""

    version: str
    name: str
    state: State
    migration: Migration | None
    last: HistoryRow | None


class IndexBuild(NamedTuple):
    """The index a CREATE INDEX CONCURRENTLY builds: `name`, on `table` in `schema` (None:
    the table the search_path finds). PostgreSQL puts an index in its table's schema: an
    index of the same name elsewhere on the search_path is another table's."""

    schema: str | None
    table: str
    name: str


class Step(NamedTuple):
    """Apply `migration` from statement `start` (0 unless resuming a no-transaction one).

    `heal_index` names an INVALID index left by a failed CREATE INDEX CONCURRENTLY, to be
    dropped before the statement is retried. `retry_of` is the failed attempt being retried.
    `row_id` is the in_progress history row to carry on (a no-transaction or Python
    migration retried by the runner after a lock timeout), None for a new attempt.
    """

    migration: Migration
    start: int = 0
    heal_index: IndexBuild | None = None
    retry_of: HistoryRow | None = None
    row_id: int | None = None


class BlockingSession(NamedTuple):
    """A session that held a lock a migration's statement waited for (`pg_blocking_pids`)."""

    pid: int
    user: str | None = None
    application: str | None = None
    client: str | None = None
    state: str | None = None  # e.g. "idle in transaction"
    query_start: datetime | None = None
    xact_start: datetime | None = None
    backend: str | None = None  # backend_type: `client backend`, `autovacuum worker`, …

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> BlockingSession:
        """From its plain form: a `lock_timeout` event's `blockers`, or the JSON of a history
        row's `metrics.lock_waits.blockers` (times as ISO 8601 text)."""
        values = {k: data.get(k) for k in cls._fields}
        for key in ("query_start", "xact_start"):
            if isinstance(values[key], str):
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)

    def describe(self) -> str:
        """One line for people: `pid 4242 (user app, application 'api', …)`."""
        worker = self.backend if self.backend not in (None, "client backend") else ""
        parts = [worker, f"user {self.user}" if self.user else ""]
        parts.append(f"application {self.application!r}" if self.application else "")
        parts.append(f"client {self.client}" if self.client else "")
        parts.append(self.state or "")
        if self.xact_start:
            parts.append(f"transaction open since {self.xact_start.isoformat(timespec='seconds')}")
        if self.query_start:
            parts.append(f"last query started {self.query_start.isoformat(timespec='seconds')}")
        said = ", ".join(p for p in parts if p)
        return f"pid {self.pid} ({said})" if said else f"pid {self.pid}"


def who_blocked(blockers: Iterable[BlockingSession | Mapping[str, Any]]) -> str:
    """The sessions a statement waited for, in words (`pid 4242 (…); pid 4343 (…)`)."""
    sessions = (b if isinstance(b, BlockingSession) else BlockingSession.of(b) for b in blockers)
    return "; ".join(s.describe() for s in sessions) or "a session not identified"


class Blocker(NamedTuple):
    """Why deploy must not run as things are, and what a human does about it."""

    kind: str  # changed, missing, unresolved, out_of_order
    version: str
    message: str
    hint: str


class Plan(NamedTuple):
    statuses: tuple[MigrationStatus, ...]
    steps: tuple[Step, ...]
    blockers: tuple[Blocker, ...] = ()
    out_of_order: tuple[str, ...] = ()  # pending versions older than the newest applied


class RunOptions(NamedTuple):
    """What the person running deploy asked for beyond the defaults.

    An override carries its reason, which the history records with who gave it.
    """

    dry_run: bool = False
    up_to: str | None = None
    allow_out_of_order: bool = False
    skip_backup: str | None = None
    skip_staging_check: str | None = None
    staging_manifest: str | None = None


class RunStatement(NamedTuple):
    """What the planner and the runner need of a statement: its text and place, and facts
    read from its parse tree once by `sql.run_statement` (the tree itself is not kept: a
    deploy of thousands of migrations would hold them all)."""

    index: int
    text: str
    line: int
    kind: str
    no_transaction_reason: str | None = None
    concurrent_index: IndexBuild | None = None
    changes_session: bool = False
    creates_schemas: tuple[str, ...] = ()  # CREATE SCHEMA's, its DO block's: what `reset` drops
    relations: tuple[tuple[str | None, str], ...] = ()  # (schema, name) it names as targets

    @property
    def summary(self) -> str:
        """The statement's first line, shortened: for progress lines."""
        first = self.text.split("\n", 1)[0]
        return first if len(first) <= 100 else first[:99] + "…"
