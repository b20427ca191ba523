"""Webhook alerts: a listener that tells a chat channel (or any HTTP endpoint) when a run
needs a human.

Fired for: a failed migration; a migration still running after `[alerts]
long_running_seconds` (once per migration, while it runs); connection trouble (the run
failed with ConnectError, LockTimeoutError or LockLostError); a failed backup; a deploy
past the staging gate (`--skip-staging-check`, the `promotion` guard overridden).

Each alert goes to every `[alerts] webhook_url`, as Slack's `{"text": …}` or, with
`format = "json"`, `{"alert": kind, "text": …, …every field of the event}`. Delivery is
off the runner's thread (delivery.Poster): timeouts, retries, one line when undeliverable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .. import events, threads
from ..config_sections import AlertsSettings
from . import observed
from .delivery import Poster

CONNECTION_ERRORS = frozenset({"ConnectError", "LockTimeoutError", "LockLostError"})
STAGING_GATE = "promotion"
CLOSE_WAIT_SECONDS = 3.0  # at the end of a run, for alerts still in flight


def _slack(text: str) -> str:
    """Slack's control characters escaped (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _where(target: events.Target) -> str:
    return f"{target.environment} (database {target.database})"


def text_of(kind: str, event: events.Event, **extra: Any) -> str:
    """The human sentence of an alert."""
    where = _where(event.target)
    if isinstance(event, events.MigrationFailed):
        return (
            f"audifi-db: migration {event.version}_{event.name} FAILED on {where} at "
            f"{event.path}:{event.line} (statement {event.statement} of {event.statements}): "
            f"{event.error} [SQLSTATE {event.sqlstate}]\n{event.failed_statement}"
        )
    if isinstance(event, events.MigrationStarted):
        return (
            f"audifi-db: migration {event.version}_{event.name} on {where} is still running "
            f"after {extra['running_seconds']:g} s"
        )
    if isinstance(event, events.RunFailed):
        return f"audifi-db {event.command} on {where} failed: {event.message} ({event.hint})"
    if isinstance(event, events.BackupFailed):
        return f"audifi-db: the backup before a deploy to {where} failed: {event.message}"
    if isinstance(event, events.GuardOverridden):
        return (
            f"audifi-db: a deploy to {where} went past the staging gate ({event.guard}), "
            f"overridden by {event.by}: {event.reason}"
        )
    return f"audifi-db: {kind} on {where}"


class Alerts:
    """Listener turning the events that need a human into webhook posts."""

    def __init__(self, settings: AlertsSettings, report: Callable[[str], None]) -> None:
        self.settings = settings
        self.posters = [
            Poster(url, settings.timeout_seconds, report) for url in settings.webhook_url
        ]
        self.ignoring = False
        self._timer = _LongRunning(settings.long_running_seconds, self._long_running)

    def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.RunStarted):
            self.ignoring = not observed(event)
        if self.ignoring:
            return
        if isinstance(event, events.MigrationStarted):
            self._timer.arm(event)
        elif isinstance(event, events.MigrationApplied | events.MigrationFailed):
            self._timer.disarm()
        kind = _kind(event)
        if kind is not None:
            self.send(kind, event)

    def send(self, kind: str, event: events.Event, **extra: Any) -> None:
        text = text_of(kind, event, **extra)
        if self.settings.format == "json":
            body = {"alert": kind, "text": text, **event.to_json(), **extra}
        else:
            body = {"text": _slack(text)}
        for poster in self.posters:
            poster.post(body, f"alert {kind}")

    def _long_running(self, event: events.MigrationStarted) -> None:
        self.send("long_running", event, running_seconds=self.settings.long_running_seconds)

    def close(self) -> None:
        """Stop the timer; give alerts in flight a few seconds, then give up on them."""
        self._timer.stop()
        deadline = time.monotonic() + min(CLOSE_WAIT_SECONDS, self.settings.timeout_seconds)
        while not all(p.idle() for p in self.posters) and time.monotonic() < deadline:
            time.sleep(0.02)
        for poster in self.posters:
            poster.abandon()


def _kind(event: events.Event) -> str | None:
    """Which alert an event is, if any."""
    if isinstance(event, events.MigrationFailed):
        return "migration_failed"
    if isinstance(event, events.RunFailed) and event.error in CONNECTION_ERRORS:
        return "connection"
    if isinstance(event, events.BackupFailed):
        return "backup_failed"
    if isinstance(event, events.GuardOverridden) and event.guard == STAGING_GATE:
        return "staging_gate_overridden"
    return None


class _LongRunning:
    """One thread (started with the first migration) that fires `fire(started_event)` when
    the armed migration has run `seconds`, once per migration."""

    def __init__(self, seconds: float, fire: Callable[[events.MigrationStarted], None]) -> None:
        self.seconds, self.fire = seconds, fire
        self._cond = threading.Condition()
        self._armed: events.MigrationStarted | None = None
        self._stopped = False
        self._thread: threading.Thread | None = None

    def arm(self, event: events.MigrationStarted) -> None:
        with self._cond:
            self._armed = event
            if self._thread is None:
                self._thread = threads.start(self._wait, name="audifi-db long-running timer")
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._armed = None
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped, self._armed = True, None
            self._cond.notify()

    def _wait(self) -> None:
        with self._cond:
            while not self._stopped:
                armed = self._armed
                if armed is None:
                    self._cond.wait()
                    continue
                left = armed.at.timestamp() + self.seconds - time.time()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._armed = None  # once per migration
                self.fire(armed)
