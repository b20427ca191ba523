"""Backfill progress for people: a bar redrawn in place on a terminal, a line every 10% (or
every 30 s) in CI logs. Made from `backfill_progress` events by `HumanPrinter`."""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from .. import events

BAR_WIDTH = 24
LINE_EVERY_SECONDS = 30.0


class BackfillProgress:
    """Renders one run's backfills on `stream` (stderr)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        self.last_tenth = -1
        self.last_line = 0.0

    def show(self, event: events.BackfillProgress) -> None:
        text = describe(event)
        if self.terminal:
            self.stream.write(f"\r\033[Kaudifi-db: {text}" + ("\n" if event.done else ""))
            self.stream.flush()
            return
        tenth = int((event.fraction or 0) * 10)
        now = time.monotonic()
        due = (self.last_tenth < tenth < 10) or now - self.last_line >= LINE_EVERY_SECONDS
        if event.done or due:
            self.last_tenth, self.last_line = tenth, now
            print(f"audifi-db: {text}", file=self.stream, flush=True)
        if event.done:
            self.last_tenth = -1


def describe(event: events.BackfillProgress) -> str:
    """`backfill tracks [#####-----]  42%  2,100,000 rows in 210 batches, 95 ms/batch`."""
    where = ""
    if event.fraction is not None:
        filled = round(event.fraction * BAR_WIDTH)
        where = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {event.fraction:4.0%}  "
    batches = f"{event.batches:,} batch" + ("" if event.batches == 1 else "es")
    speed = "done" if event.done else f"{event.batch_ms} ms/batch"
    paused = f", paused {event.paused_ms / 1000:.1f} s for replicas" if event.paused_ms else ""
    return f"backfill {event.table} {where}{event.rows:,} rows in {batches}, {speed}{paused}"
