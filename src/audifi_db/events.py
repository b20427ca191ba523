"""What a run tells the world, as values; `fanout.Fanout` delivers them to listeners.

The runner and every operation emit these events; they never print. Each event carries
when it happened (UTC) and its target (environment, database, redacted URL). Listeners
(the CLI's text and JSON output, metrics, alerts, the report) only listen: `Fanout` gives
each its own thread and queue, so one that raises or hangs is reported once and never
fails, stalls or reorders the run or the other listeners. `docs/events.md` documents the
JSON form (`Event.to_json`), versioned by SCHEMA_VERSION.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

SCHEMA_VERSION = 1


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Target:
    """Where a run goes: the environment, the database's name and its URL, password hidden."""

    environment: str
    database: str
    url: str


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event: `target` and `at` (UTC). `NAME` is its JSON name."""

    NAME: ClassVar[str] = "event"
    target: Target
    at: datetime = field(default_factory=utc_now)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "event": self.NAME,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "target": vars(self.target),
        }
        for f in fields(self):
            if f.name not in ("target", "at"):
                data[f.name] = _plain(getattr(self, f.name))
        return data


def _plain(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    """A command began: what it will apply, in order (`version_name`); `pending_total`
    counts every migration not yet applied, those past `--target` too (for `seed`: the seed
    files it will load)."""

    NAME = "run_started"
    command: str
    pending: tuple[str, ...] = ()
    dry_run: bool = False
    pending_total: int = 0


@dataclass(frozen=True, kw_only=True)
class LockWaiting(Event):
    NAME = "lock_waiting"
    holder: str | None


@dataclass(frozen=True, kw_only=True)
class LockAcquired(Event):
    NAME = "lock_acquired"
    waited_ms: int


@dataclass(frozen=True, kw_only=True)
class GuardPassed(Event):
    """A guard let the run through; `note` says what it checked or did."""

    NAME = "guard_passed"
    guard: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Refused(Event):
    """A guard or a policy stopped the command before it changed anything; `details` holds
    what it found (the lint guard: every finding)."""

    NAME = "refused"
    guard: str
    error: str
    message: str
    hint: str = ""
    details: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def of(cls, error: Any, target: Target, guard: str, details: tuple = ()) -> Refused:
        """The event of a refusal raised as `error` (an AudiFiDbError)."""
        return cls(
            target=target,
            guard=guard,
            error=type(error).__name__,
            message=error.message,
            hint=error.hint,
            details=details,
        )


@dataclass(frozen=True, kw_only=True)
class GuardOverridden(Event):
    """A human told a guard to let the run through (`--skip-backup`, `--skip-staging-check`,
    `--allow-out-of-order`); the history records the reason and who gave it."""

    NAME = "guard_overridden"
    guard: str
    reason: str
    by: str


@dataclass(frozen=True, kw_only=True)
class BackupStarted(Event):
    """The backup guard (or `audifi-db backup`) began: `file` is where the dump goes, or the
    restore point's name for `method` restore-point; `tool` is the pg_dump used (version
    and path)."""

    NAME = "backup_started"
    file: str
    method: str
    tool: str = ""


@dataclass(frozen=True, kw_only=True)
class BackupProgress(Event):
    """Bytes done in a phase (`dump`, `upload`, `download`, `restore`); total when known."""

    NAME = "backup_progress"
    phase: str
    bytes_done: int
    bytes_total: int | None = None


@dataclass(frozen=True, kw_only=True)
class BackupFinished(Event):
    """The backup is complete: `file` (the dump, or the restore point's name), its manifest,
    size and sha256, and the s3:// URL it was uploaded to, if any."""

    NAME = "backup_finished"
    file: str
    size_bytes: int
    duration_ms: int
    sha256: str = ""
    uploaded_to: str = ""
    manifest: str = ""


@dataclass(frozen=True, kw_only=True)
class BackupFailed(Event):
    """`removed_partial` names the partial file that was deleted, if any."""

    NAME = "backup_failed"
    message: str
    hint: str = ""
    removed_partial: str = ""


@dataclass(frozen=True, kw_only=True)
class BackupVerified(Event):
    """A restore into a scratch database compared with the manifest; `differences` lists
    what did not match (empty when `ok`)."""

    NAME = "backup_verified"
    file: str
    ok: bool
    differences: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MigrationStarted(Event):
    """`backend_pid` is the server process applying it, for observers on other connections
    (the lock watcher looks for sessions it blocks)."""

    NAME = "migration_started"
    version: str
    name: str
    transactional: bool
    statements: int
    start: int = 0
    retry: bool = False
    backend_pid: int = 0


@dataclass(frozen=True, kw_only=True)
class StatementStarted(Event):
    """`statement` is 1-based; `summary` is the statement's first line."""

    NAME = "statement_started"
    version: str
    statement: int
    line: int
    summary: str


@dataclass(frozen=True, kw_only=True)
class StatementFinished(Event):
    """`rows_affected` is None for statements that change no rows (DDL, SELECT)."""

    NAME = "statement_finished"
    version: str
    statement: int
    line: int
    duration_ms: int
    rows_affected: int | None


@dataclass(frozen=True, kw_only=True)
class IndexHealed(Event):
    """An INVALID index from a failed CREATE INDEX CONCURRENTLY was dropped for a retry
    (`dropped`), or a valid one was found and its statement skipped."""

    NAME = "index_healed"
    version: str
    index: str
    dropped: bool


@dataclass(frozen=True, kw_only=True)
class LockTimedOut(Event):
    """A statement waited past `[online] lock_timeout_ms` and was cancelled (55P03);
    `blockers` are the sessions it waited for, seen while it waited. `retry_in_ms` is None
    when the deadline has passed: the migration fails."""

    NAME = "lock_timeout"
    version: str
    statement: int
    line: int
    attempt: int
    attempt_ms: int
    blockers: tuple[Mapping[str, Any], ...] = ()
    retry_in_ms: int | None = None


@dataclass(frozen=True, kw_only=True)
class LockRetry(Event):
    """Attempt `attempt` (2 or more) of a migration blocked by a lock timeout begins."""

    NAME = "lock_retry"
    version: str
    attempt: int
    from_statement: int
    since_first_ms: int


@dataclass(frozen=True, kw_only=True)
class BackfillProgress(Event):
    """A batch of `ctx.backfill` committed; `fraction` is how far through the key range
    (None when the key is not a number); `done` on the last event of the backfill."""

    NAME = "backfill_progress"
    version: str
    table: str
    rows: int
    batches: int
    batch_ms: int
    fraction: float | None = None
    paused_ms: int = 0
    done: bool = False


@dataclass(frozen=True, kw_only=True)
class BackfillPaused(Event):
    """A backfill waits: a streaming replica's replay lag is over the threshold."""

    NAME = "backfill_paused"
    version: str
    table: str
    replica: str
    lag_seconds: float
    max_lag_seconds: float


@dataclass(frozen=True, kw_only=True)
class ReplicaLagUnseen(Event):
    """A backfill begins while replicas stream whose lag the deploying role cannot read
    (it lacks pg_read_all_stats): it will not pause for them."""

    NAME = "replica_lag_unseen"
    version: str
    table: str
    replicas: int


@dataclass(frozen=True, kw_only=True)
class MigrationApplied(Event):
    """`measurements` holds what the runner measured inside the migration (see runner)."""

    NAME = "migration_applied"
    version: str
    name: str
    duration_ms: int
    statements: int
    rows_affected: int
    measurements: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class MigrationFailed(Event):
    NAME = "migration_failed"
    version: str
    name: str
    path: str
    line: int
    statement: int
    statements: int
    sqlstate: str
    error: str
    duration_ms: int
    failed_statement: str = ""


@dataclass(frozen=True, kw_only=True)
class MigrationResolved(Event):
    """`resolve`: a human's verdict on a failed or in_progress migration, recorded."""

    NAME = "migration_resolved"
    version: str
    name: str
    state: str  # applied or rolled_back


@dataclass(frozen=True, kw_only=True)
class Baselined(Event):
    """`baseline`: migrations recorded as baselined, none of their SQL run."""

    NAME = "baselined"
    versions: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class DatabaseCreated(Event):
    """`db create` or `deploy --create-db` created the target database."""

    NAME = "database_created"


@dataclass(frozen=True, kw_only=True)
class DatabaseDropped(Event):
    """`db drop` dropped the target database."""

    NAME = "database_dropped"


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    NAME = "run_finished"
    command: str
    applied: int
    duration_ms: int


@dataclass(frozen=True, kw_only=True)
class RunFailed(Event):
    """The run stopped: `error` is the exception's type, `applied` what it applied first."""

    NAME = "run_failed"
    command: str
    error: str
    message: str
    hint: str
    applied: int
    duration_ms: int


EVENT_TYPES: tuple[type[Event], ...] = (
    RunStarted,
    LockWaiting,
    LockAcquired,
    GuardPassed,
    GuardOverridden,
    Refused,
    BackupStarted,
    BackupProgress,
    BackupFinished,
    BackupFailed,
    BackupVerified,
    MigrationStarted,
    StatementStarted,
    StatementFinished,
    IndexHealed,
    LockTimedOut,
    LockRetry,
    BackfillProgress,
    BackfillPaused,
    ReplicaLagUnseen,
    MigrationApplied,
    MigrationFailed,
    MigrationResolved,
    Baselined,
    DatabaseCreated,
    DatabaseDropped,
    RunFinished,
    RunFailed,
)


class Listener(Protocol):
    """Receives every event of a run, in order, on a thread of its own.

    `on_event` must not touch the runner's connections. An optional `close()` is called on
    the same thread after the last event (flush a file, send what is batched). An optional
    `EVENTS` attribute, a frozenset of event names (`Event.NAME`), limits delivery to those
    events; without it the listener receives every event.
    """

    def on_event(self, event: Event) -> None: ...


Emit = Callable[[Event], None]
