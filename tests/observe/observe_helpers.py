"""Helpers of the observe tests: a real HTTP server on loopback that records what it is
sent, a closed port, a session that waits on a migration's lock, polling and timing."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def timed(run):
    """`run()`'s result, and how long it took in seconds (to compare with a plain run)."""
    began = time.monotonic()
    result = run()
    return result, time.monotonic() - began


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Webhook:
    """An HTTP server on 127.0.0.1 that answers `status` (or never answers, `hang=True`)
    and records every request."""

    def __init__(self, status: int = 200, hang: bool = False) -> None:
        self.status, self.hang = status, hang
        self.received: list[Received] = []
        self.released = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                self._record()

            def do_PUT(self):  # noqa: N802
                self._record()

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                hook.received.append(Received(self.command, self.path, dict(self.headers), body))
                if hook.hang:
                    hook.released.wait(120)
                    return
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def wait(self, count: int = 1, timeout: float = 30.0) -> list[Received]:
        return wait_for(
            lambda: self.received[:] if len(self.received) >= count else None,
            timeout,
            f"{count} request(s) at the webhook",
        )

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_waiting(project, query_start: str) -> int:
    """The pid of this database's session waiting on a lock in a query starting so, or 0."""
    rows = project.query(
        "select pid from pg_stat_activity where datname = current_database() "
        "and wait_event_type = 'Lock' and query like %s",
        (query_start + "%",),
    )
    return rows[0][0] if rows else 0


LOCKING = "LOCK TABLE t IN ACCESS EXCLUSIVE MODE;\nSELECT pg_advisory_xact_lock(4242);\n"


def deploy_while_a_session_waits(project, deploy, seconds: float = 1.5) -> int:
    """Run `deploy()` in a thread while its pending migration (LOCKING) holds table t and
    waits on an advisory lock the test holds, and a second session waits on t for at least
    `seconds`. Returns the waiting session's pid."""
    import psycopg2

    waiter = psycopg2.connect(project.url)
    waiter.autocommit = True
    pid = waiter.get_backend_pid()
    with project.holding(4242):
        run = threading.Thread(target=deploy)
        run.start()
        wait_for(
            lambda: session_waiting(project, "SELECT pg_advisory_xact_lock"), what="the migration"
        )
        reader = threading.Thread(target=lambda: waiter.cursor().execute("select count(*) from t"))
        reader.start()
        wait_for(lambda: session_waiting(project, "select count(*) from t"), what="the waiter")
        time.sleep(seconds)
    run.join(60)
    reader.join(60)
    waiter.close()
    return pid
