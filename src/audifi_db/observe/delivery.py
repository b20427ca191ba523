"""Posting JSON to webhooks from a thread of their own: timeouts, retries with backoff, and
one line for the human about a body that could not be delivered. Never a URL's secret in
that line: a webhook's path (Slack's token) and any user or password are left out."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .. import threads

ATTEMPTS = 3
BACKOFF_SECONDS = 0.5  # then 1 s: a retry waits BACKOFF * 2**(attempt - 1)
_STOP = object()


def shown(url: str) -> str:
    """`scheme://host:port/…`: where a URL points, without its user, password, path or query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable URL>"
    rest = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}" if host else "<URL without a host>"


def http_url_problem(url: str) -> str | None:
    """Why `url` cannot be posted to, or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s):// URL"
    return None


def with_basic_auth(url: str) -> tuple[str, dict[str, str]]:
    """The URL without `user:password@`, and the HTTP basic auth header that carries them."""
    import base64
    from urllib.parse import unquote, urlunsplit

    parts = urlsplit(url)
    if parts.username is None:
        return url, {}
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    token = base64.b64encode(pair.encode()).decode()
    return urlunsplit(parts._replace(netloc=netloc)), {"Authorization": f"Basic {token}"}


class Poster:
    """Delivers JSON bodies to one URL, in order, on a thread started at the first post."""

    def __init__(
        self, url: str, timeout: float, report: Callable[[str], None], attempts: int = ATTEMPTS
    ) -> None:
        self.url, self.timeout, self.report, self.attempts = url, timeout, report, attempts
        self.shown = shown(url)
        self.problem = http_url_problem(url)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._pending = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._abandoned = False
        self._last_failure: str | None = None  # of the attempt before a retry

    def post(self, body: Mapping[str, Any], what: str) -> None:
        """Queue `body` (`what` names it in a failure line); returns at once."""
        if self.problem is not None:
            self.report(f"{what} not sent: webhook {self.shown} {self.problem}")
            return
        with self._lock:
            self._pending += 1
            if self._thread is None:
                self._thread = threads.start(self._work, name=f"audifi-db webhook {self.shown}")
        self._queue.put((json.dumps(body, default=str).encode(), what))

    def idle(self) -> bool:
        with self._lock:
            return self._pending == 0

    def abandon(self) -> None:
        """Give up on what is still queued or in flight, in one line saying why."""
        with self._lock:
            self._abandoned, left, failure = True, self._pending, self._last_failure
        if left:
            why = f"{failure}, still retrying" if failure else "still unanswered"
            self.report(
                f"{left} alert(s) not delivered to {self.shown}: {why} when the run ended "
                "(the run did not wait longer for them)"
            )
        self._queue.put(_STOP)

    def _work(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            data, what = item
            failure = self._deliver(data)
            with self._lock:
                self._pending, self._last_failure = self._pending - 1, None
                quiet = self._abandoned
            if failure and not quiet:
                self.report(f"{what} not delivered to {self.shown}: {failure}")

    def _deliver(self, data: bytes) -> str | None:
        """Post with retries; None when delivered, else why not."""
        failure = None
        for attempt in range(1, self.attempts + 1):
            failure, retry = self._attempt(data)
            if failure is None or not retry or self._abandoned:
                return failure
            self._last_failure = failure
            if attempt < self.attempts:
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        return f"{failure} (after {self.attempts} attempts)"

    def _attempt(self, data: bytes) -> tuple[str | None, bool]:
        """One POST: (None, _) delivered, else (why, whether to retry)."""
        from urllib.error import HTTPError, URLError
        from urllib.request import Request, urlopen

        url, headers = with_basic_auth(self.url)
        request = Request(url, data=data, headers={**headers, "Content-Type": "application/json"})
        try:
            with urlopen(request, timeout=self.timeout) as response:
                response.read()
            return None, False
        except HTTPError as exc:  # 4xx: the request is wrong and will stay wrong
            return f"HTTP {exc.code} {exc.reason}", exc.code >= 500 or exc.code == 429
        except URLError as exc:
            reason = exc.reason
            return f"{getattr(reason, 'strerror', None) or reason}", True
        except (TimeoutError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}" if str(exc) else "timed out", True
