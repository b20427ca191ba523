"""Backfill progress for people: a bar redrawn in place on a terminal, a line per tenth
(and at the end) in CI logs."""

from __future__ import annotations

import io

from audifi_db import events
from audifi_db.cli.backfill_progress import BackfillProgress

TARGET = events.Target("local", "db", "postgresql://localhost/db")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def progress(batches: int, total: int = 100, done: bool = False) -> events.BackfillProgress:
    return events.BackfillProgress(
        target=TARGET,
        version="20260101000001",
        table="tracks",
        rows=batches * 10_000,
        batches=batches,
        batch_ms=95,
        fraction=min(1.0, batches / total),
        done=done,
    )


def test_in_ci_a_line_at_the_start_per_tenth_and_at_the_end():
    log = io.StringIO()
    shown = BackfillProgress(log)
    for batch in range(1, 101):
        shown.show(progress(batch))
    shown.show(progress(100, done=True))
    lines = log.getvalue().splitlines()
    assert len(lines) == 11  # the first batch, 10%, 20%, … 90%, then done
    assert lines[0].startswith("audifi-db: backfill tracks [------------------------]   1%  ")
    assert lines[1] == (
        "audifi-db: backfill tracks [##----------------------]  10%  100,000 rows in 10 "
        "batches, 95 ms/batch"
    )
    assert lines[-1].endswith("100%  1,000,000 rows in 100 batches, done")


def test_on_a_terminal_one_bar_redrawn_in_place():
    screen = Terminal()
    shown = BackfillProgress(screen)
    shown.show(progress(1, total=4))
    shown.show(progress(2, total=4))
    shown.show(progress(4, total=4, done=True))
    drawn = screen.getvalue()
    assert drawn.count("\r\033[K") == 3 and drawn.count("\n") == 1 and drawn.endswith("done\n")
    assert "[############------------]  50%  20,000 rows in 2 batches, 95 ms/batch" in drawn
