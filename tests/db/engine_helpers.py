"""A Runner in-process, with a listener that records (or acts on) every event; waiting for
a condition; killing a CLI runner."""

from __future__ import annotations

import os
import signal
import time

from conftest import query

from audifi_db import discovery, events
from audifi_db.config import load_settings
from audifi_db.runner import Runner


class Engine:
    """A migrations folder and a database, applied by a Runner whose events are kept.

    `environ` holds setting variables (AUDIFI_DB_ONLINE_LOCK_TIMEOUT_MS=…), as a shell would."""

    def __init__(self, root, url, environ=None):
        self.root, self.url, self.environ = root, url, dict(environ or {})
        self.folder = root / "db" / "migrations"
        self.folder.mkdir(parents=True)
        self.events: list[events.Event] = []

    def write(self, version: str, name: str, text: str, suffix: str = ".sql") -> None:
        (self.folder / f"{version}_{name}{suffix}").write_text(text)

    def runner(self, on_event=None) -> Runner:
        settings = load_settings("local", self.url, cwd=self.root, environ=self.environ)

        def emit(event):
            self.events.append(event)
            if on_event is not None:
                on_event(event)

        return Runner(settings, self.url, emit)

    def deploy(self, on_event=None):
        return self.runner(on_event).deploy(discovery.discover(self.folder))

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return query(self.url, sql, params)

    def names(self) -> list[str]:
        return [event.NAME for event in self.events]

    def of(self, cls) -> list:
        """The events of one type, in order."""
        return [event for event in self.events if isinstance(event, cls)]


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def kill(project, runner) -> None:
    """SIGKILL the runner; wait until the server has noticed and ended its sessions."""
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait(timeout=10)
    gone = (
        "select count(*) from pg_stat_activity "
        "where datname = current_database() and application_name like 'audifi-db%%'"
    )
    wait_for(lambda: project.query(gone) == [(0,)], what="the killed runner's sessions to end")
