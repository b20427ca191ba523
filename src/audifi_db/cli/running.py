"""Showing that a long statement runs: a listener of `statement_started`/`statement_finished`.

On a terminal, a statement still running after a second gets a spinner with its first line
and the time so far, gone when it ends; elsewhere (CI logs) a line every 30 s says what is
still running. The runner knows nothing of this: it only emits the events.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from .. import threads

if TYPE_CHECKING:
    from .. import events

# what ends showing a statement (a backfill draws its own progress: backfill_progress.py)
_STOP_SHOWING = frozenset(
    {"statement_finished", "migration_failed", "run_failed", "run_finished", "backfill_progress"}
)


class _Running(NamedTuple):
    number: int  # statements started so far: tells one statement from the next
    text: str
    began: float


class StatementProgress:
    """A listener: one watcher thread, started with the first statement, shows the statement
    that runs; the listener's own thread only tells it which one, so it never holds up the
    run's events and a run of many quick statements starts no thread per statement."""

    EVENTS = _STOP_SHOWING | {"statement_started"}

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
        self._cond = threading.Condition()
        self._running: _Running | None = None
        self._started = 0
        self._closed = False
        self._failed = False
        self._watcher: threading.Thread | None = None

    def on_event(self, event: events.Event) -> None:
        if event.NAME == "statement_started":
            text = (
                f"{event.version} statement {event.statement} (line {event.line}): {event.summary}"  # type: ignore[attr-defined]
            )
            with self._cond:
                self._started += 1
                self._running = _Running(self._started, text, time.monotonic())
                if self._watcher is None:
                    self._watcher = threads.start(self._watch, name="statement progress")
                self._cond.notify()
        elif event.NAME in _STOP_SHOWING:
            self._set_idle()

    def close(self) -> None:
        self._set_idle(closed=True)
        if self._watcher is not None:
            self._watcher.join(timeout=2)

    def _set_idle(self, closed: bool = False) -> None:
        with self._cond:
            self._running = None
            self._closed = self._closed or closed
            self._cond.notify()

    def _watch(self) -> None:
        while True:
            with self._cond:
                while self._running is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                running = self._running
            try:
                (self._spin if self.terminal else self._tell)(running)
            except Exception as exc:  # noqa: BLE001 - progress never fails or ends the run
                if not self._failed:  # this statement goes unshown; the next ones are shown
                    self._failed = True
                    logging.getLogger("audifi_db").warning(f"progress display failed: {exc}")

    def _still_running(self, running: _Running, seconds: float) -> bool:
        """Wait up to `seconds`: whether `running` is still the statement that runs then."""
        deadline = time.monotonic() + seconds
        with self._cond:
            while self._running is not None and self._running.number == running.number:
                left = deadline - time.monotonic()
                if left <= 0:
                    return True
                self._cond.wait(left)
        return False

    def _tell(self, running: _Running) -> None:
        while self._still_running(running, self.every):
            elapsed = time.monotonic() - running.began
            self.say(f"still running after {elapsed:.0f} s: {running.text}")

    def _spin(self, running: _Running) -> None:
        if not self._still_running(running, self.show_after):
            return
        from rich.markup import escape
        from rich.progress import SpinnerColumn, TextColumn

        from .display import progress_display

        text = escape(running.text)  # SQL may hold [brackets]
        columns = (SpinnerColumn(), TextColumn("{task.description}"))
        with progress_display(*columns, transient=True) as progress:
            task = progress.add_task(text)
            while self._still_running(running, 0.2):
                elapsed = time.monotonic() - running.began
                progress.update(task, description=f"{text}  [bold]{elapsed:.0f} s[/bold]")
