"""The fan-out: each event of a run delivered to every listener, in order, each listener on
a thread of its own (started through `threads`, so Ctrl-C still reaches the main thread).

A listener that raises is reported once and keeps receiving events; one busy with an event
for longer than the delivery timeout is reported once and dropped; `close` waits for them
all, never longer than that timeout in all. So no listener fails, stalls or reorders the
run or the others. A listener that names the events it handles (`EVENTS`) is woken for
those alone. A listener's thread, once woken, lets the events of a burst gather for
`GATHER_SECONDS` before it looks again: one thread switch per burst instead of one per event
(a deploy of quick migrations emits four a migration; each switch cost the run about 0.05 ms).
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterable
from typing import Any

from . import threads
from .events import Event, Listener

DELIVERY_TIMEOUT_SECONDS = 5.0
GATHER_SECONDS = 0.01  # what a listener's output may lag behind the run: unnoticeable

_log = logging.getLogger("audifi_db")
_DONE = object()


class _Delivery:
    """One listener's queue and thread."""

    def __init__(self, listener: Listener, report: Callable[[str], None]) -> None:
        self.listener, self.report = listener, report
        self.wants: frozenset[str] | None = getattr(listener, "EVENTS", None)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.busy_since: float | None = None
        self.current: str = ""
        self.given_up = False
        self.raised = False
        # a daemon: a hung listener never keeps the process alive
        self.thread = threads.start(self._work, name=f"listener {self.label}")

    @property
    def label(self) -> str:
        return type(self.listener).__name__

    def _work(self) -> None:
        while self._handle(self.queue.get()):  # blocks while the run is quiet
            time.sleep(GATHER_SECONDS)  # meanwhile, a burst's events queue without a wake-up
            if not self._handle_queued():
                break
        close = getattr(self.listener, "close", None)
        if close is not None:
            self._deliver(lambda _: close(), None, "close")

    def _handle(self, event: object) -> bool:
        """Deliver one event; False for the end of the run."""
        if event is _DONE:
            return False
        self._deliver(self.listener.on_event, event, getattr(event, "NAME", "event"))
        return True

    def _handle_queued(self) -> bool:
        """Deliver what is queued, without waiting; False once the end of the run is reached."""
        while True:
            try:
                event = self.queue.get_nowait()
            except queue.Empty:
                return True
            if not self._handle(event):
                return False

    def _deliver(self, call: Callable[[Any], None], event: object, what: str) -> None:
        self.busy_since, self.current = time.monotonic(), what
        try:
            call(event)
        except Exception as exc:  # noqa: BLE001 - a listener never fails the run
            if not self.raised:
                self.raised = True
                self.report(
                    f"listener {self.label} failed on {what}: {type(exc).__name__}: {exc} "
                    "(the run goes on; later failures of this listener are not reported)"
                )
        finally:
            self.busy_since = None

    def hung(self, timeout: float, now: float) -> bool:
        busy = self.busy_since
        return busy is not None and now - busy > timeout

    def give_up(self, why: str) -> None:
        if not self.given_up:
            self.given_up = True
            self.report(f"listener {self.label} {why}; it gets no more events of this run")


class Fanout:
    """Delivers each event to every listener, in order, each isolated on its own thread.

    A listener that raises is reported once and keeps receiving events; one busy with an
    event for longer than `delivery_timeout` seconds is reported once and dropped. `close`
    waits for the listeners to finish, never longer than `delivery_timeout` in all.
    """

    def __init__(
        self,
        listeners: Iterable[Listener],
        *,
        delivery_timeout: float = DELIVERY_TIMEOUT_SECONDS,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.timeout = delivery_timeout
        report = report or _log.warning
        self._deliveries = [_Delivery(listener, report) for listener in listeners]
        self._closed = False

    def emit(self, event: Event) -> None:
        now = time.monotonic()
        for delivery in self._deliveries:
            if delivery.given_up or (
                delivery.wants is not None and event.NAME not in delivery.wants
            ):
                continue
            if delivery.hung(self.timeout, now):
                delivery.give_up(
                    f"has been handling {delivery.current} for over {self.timeout:g} s"
                )
                continue
            delivery.queue.put(event)

    def close(self) -> None:
        """Let every listener finish its queue and close, waiting `delivery_timeout` at most."""
        if self._closed:
            return
        self._closed = True
        live = [d for d in self._deliveries if not d.given_up]
        for delivery in live:
            delivery.queue.put(_DONE)
        deadline = time.monotonic() + self.timeout
        for delivery in live:
            delivery.thread.join(max(0.0, deadline - time.monotonic()))
            if delivery.thread.is_alive():
                delivery.give_up(
                    f"did not finish within {self.timeout:g} s (still handling {delivery.current})"
                )

    def __enter__(self) -> Fanout:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
