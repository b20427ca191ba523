"""Progress of long transfers as BackupProgress events: bytes done of a phase (`dump`,
`upload`, `download`, `restore`), for the CLI's progress bars and for metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .. import events
from . import process


def progress(emit: events.Emit, target: events.Target, phase: str):
    """A (bytes done, total) callback emitting BackupProgress events of `phase`."""

    def report(done: int, total: int | None) -> None:
        emit(events.BackupProgress(target=target, phase=phase, bytes_done=done, bytes_total=total))

    return report


def restore_progress(
    emit: events.Emit, target: events.Target, total: int
) -> Callable[[Sequence[int]], None]:
    """A process tick reporting how much of a dump of `total` bytes pg_restore (the first
    child) has read."""
    report = progress(emit, target, "restore")

    def tick(pids: Sequence[int]) -> None:
        done = process.bytes_read(pids[:1])
        if done is not None:
            report(min(done, total), total)

    return tick
