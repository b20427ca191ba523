"""Showing that a long statement runs: a listener of `statement_started`/`statement_finished`.

On a terminal, a statement still running after a second gets a spinner with its first line
and the time so far, gone when it ends; elsewhere (CI logs) a line every 30 s says what is
still running. The runner knows nothing of this: it only emits the events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import threads

if TYPE_CHECKING:
    from .. import events

_ENDS = frozenset({"statement_finished", "migration_failed", "run_failed", "run_finished"})


class StatementProgress:
    """A listener: while a statement runs, a watcher thread shows it (the listener's own
    thread only starts and stops watchers, so it never holds up the run's events)."""

    def __init__(
        self,
        *,
        terminal: bool,
        say: Callable[[str], None] | None = None,
        every: float = 30.0,
        show_after: float = 1.0,
    ) -> None:
        from .output import info

        self.terminal, self.say = terminal, say or info
        self.every, self.show_after = every, show_after
        self._done: threading.Event | None = None
        self._watcher: threading.Thread | None = None

    def on_event(self, event: events.Event) -> None:
        if event.NAME == "statement_started":
            self._stop()
            self._done = threading.Event()
            text = (
                f"{event.version} statement {event.statement} (line {event.line}): {event.summary}"  # type: ignore[attr-defined]
            )
            watch = self._spin if self.terminal else self._tell
            self._watcher = threads.start(watch, text, self._done)
        elif event.NAME in _ENDS or event.NAME == "backfill_progress":
            self._stop()  # a backfill draws its own progress (backfill_progress.py)

    def close(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._done is not None:
            self._done.set()
            self._watcher.join(timeout=2)  # type: ignore[union-attr]
            self._done = self._watcher = None

    def _tell(self, text: str, done: threading.Event) -> None:
        began = time.monotonic()
        while not done.wait(self.every):
            self.say(f"still running after {time.monotonic() - began:.0f} s: {text}")

    def _spin(self, text: str, done: threading.Event) -> None:
        began = time.monotonic()
        if done.wait(self.show_after):
            return
        from rich.console import Console
        from rich.markup import escape
        from rich.progress import Progress, SpinnerColumn, TextColumn

        text = escape(text)  # SQL may hold [brackets]

        columns = (SpinnerColumn(), TextColumn("{task.description}"))
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task(text)
            while not done.wait(0.2):
                elapsed = time.monotonic() - began
                progress.update(task, description=f"{text}  [bold]{elapsed:.0f} s[/bold]")
