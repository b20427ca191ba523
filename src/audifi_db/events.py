"""What a run reports, as values. Sinks (the CLI's renderer, later metrics and alerts) listen.

The runner never prints: it emits these to an EventSink. A sink must not raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class LockWaiting:
    holder: str | None


@dataclass(frozen=True)
class MigrationStarted:
    version: str
    name: str
    transactional: bool
    statements: int
    start: int = 0
    retry: bool = False


@dataclass(frozen=True)
class IndexHealed:
    """An INVALID index from a failed CREATE INDEX CONCURRENTLY was dropped for a retry, or
    a valid one was found and its statement skipped."""

    version: str
    index: str
    dropped: bool


@dataclass(frozen=True)
class MigrationApplied:
    version: str
    name: str
    duration_ms: int
    statements: int
    rows_affected: int


@dataclass(frozen=True)
class MigrationFailed:
    version: str
    name: str
    path: str
    line: int
    statement: int
    statements: int
    sqlstate: str
    error: str
    duration_ms: int


@dataclass(frozen=True)
class RunFinished:
    applied: int
    duration_ms: int


Event = (
    LockWaiting | MigrationStarted | IndexHealed | MigrationApplied | MigrationFailed | RunFinished
)


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...


class NullSink:
    def emit(self, event: Event) -> None:
        pass
