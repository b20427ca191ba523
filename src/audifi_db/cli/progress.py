"""Progress of dumps, uploads, downloads and restores, drawn from BackupProgress events.

On a terminal: a rich progress bar per phase on stderr (bytes, rate, elapsed). Elsewhere
(CI logs): a plain line per phase every PLAIN_EVERY seconds and when it completes.
"""

from __future__ import annotations

import sys
import time

from .. import events
from .output import info

PLAIN_EVERY = 5.0
PHASES = {
    "dump": "dumping",
    "upload": "uploading",
    "download": "downloading",
    "restore": "restoring",
}


def size(count: float) -> str:
    """Bytes for people: 512 B, 12.3 MB, 1.02 GB."""
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"  # pragma: no cover - the loop returns at GB


class ProgressBars:
    """A listener turning BackupProgress events into bars (terminal) or lines (logs)."""

    EVENTS = frozenset({events.BackupProgress.NAME})

    def __init__(self, terminal: bool | None = None) -> None:
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self._rich = None
        self._tasks: dict[str, int] = {}
        self._plain: dict[str, list] = {}  # phase -> [started, last printed, finished]

    def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.BackupProgress):
            return
        if self.terminal:
            self._bar(event)
        else:
            self._line(event)

    def _bar(self, event: events.BackupProgress) -> None:
        if self._rich is None:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                TextColumn,
                TimeElapsedColumn,
                TransferSpeedColumn,
            )

            from .display import progress_display

            self._rich = progress_display(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeElapsedColumn(),
            )
            self._rich.start()
        if event.phase not in self._tasks:
            label = PHASES.get(event.phase, event.phase)
            self._tasks[event.phase] = self._rich.add_task(label, total=event.bytes_total)
        self._rich.update(
            self._tasks[event.phase], completed=event.bytes_done, total=event.bytes_total
        )

    def _line(self, event: events.BackupProgress) -> None:
        now = time.monotonic()
        state = self._plain.setdefault(event.phase, [now, None, False])
        started, printed, finished = state
        done = event.bytes_total is not None and event.bytes_done >= event.bytes_total
        due = printed is None or now - printed >= PLAIN_EVERY
        if finished or not (done or due):
            return
        state[1:] = [now, done]
        of = f" of {size(event.bytes_total)}" if event.bytes_total else ""
        rate = f" ({size(event.bytes_done / (now - started))}/s)" if now - started > 0.5 else ""
        info(f"{PHASES.get(event.phase, event.phase)}: {size(event.bytes_done)}{of}{rate}")

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()
