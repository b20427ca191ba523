"""URL -> connection, and the driver's errors -> ours. The only module that imports psycopg2.

psycopg2 (not psycopg 3) because every CLI call pays for the import: 0.05 s against 0.25 s.
Connections run in autocommit; transactions are explicit BEGIN/COMMIT sent by the runner,
so a no-transaction migration and a transactional one go through the same path.
"""

from __future__ import annotations

import select
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlsplit

from .. import __version__
from ..config import redact
from ..errors import ConfigError, ConnectError, ServerError


@contextmanager
def _ssl_hidden() -> Iterator[None]:
    """psycopg2 imports Python's `ssl` at import only to call libpq's `PQinitOpenSSL(1, 0)`,
    which does nothing with OpenSSL 1.1.0 and later (libpq's documentation; psycopg2-binary
    ships OpenSSL 3). `ssl` costs 10-20 ms of every command's start: hidden while psycopg2
    loads. TLS connections are libpq's own and unaffected; `import ssl` works afterwards."""
    if "ssl" in sys.modules:
        yield
        return
    sys.modules["ssl"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        del sys.modules["ssl"]


with _ssl_hidden():
    import psycopg2
    import psycopg2.extensions

CONNECT_TIMEOUT_SECONDS = 10
# Keepalives so a long run on a quiet lock connection is not cut by a firewall.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
# Command tags of statements whose row count means "rows changed" (a SELECT's is rows read).
_ROW_CHANGING_TAGS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "COPY"})
_INSUFFICIENT_PRIVILEGE = "42501"


class Connection:
    """A thin, autocommit connection: execute, query, close."""

    def __init__(self, raw: psycopg2.extensions.connection) -> None:
        self._raw = raw
        self._cursor = raw.cursor()
        self._configured = ""

    def execute(self, sql: str, params: tuple | dict | None = None) -> None:
        """Run one statement (or several separated by `;` when there are no params)."""
        try:
            self._cursor.execute(sql, params)
        except psycopg2.Error as exc:
            raise _server_error(exc) from None

    def apply(self, sql: str, params: tuple | dict | None = None) -> int | None:
        """Run a migration's statement: the rows it inserted, updated or deleted, or None
        for a statement that changes no rows (DDL, SELECT)."""
        self.execute(sql, params)
        tag = (self._cursor.statusmessage or "").split(" ", 1)[0]
        return self._cursor.rowcount if tag in _ROW_CHANGING_TAGS else None

    def mogrify(self, sql: str, params: tuple | dict) -> str:
        """`sql` with `params` in it, as the server receives it."""
        return self._cursor.mogrify(sql, params).decode()

    def in_transaction(self) -> bool:
        """Whether a transaction is open (idle in it, or failed and awaiting ROLLBACK)."""
        return self._raw.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE

    def has_news(self) -> bool:
        """Whether the server sent something this idle connection has not read: on a quiet
        session only its end (terminated, shut down) or a notice. No round trip."""
        return bool(select.select([self._raw.fileno()], [], [], 0)[0])

    @property
    def backend_pid(self) -> int:
        return self._raw.get_backend_pid()

    def query(self, sql: str, params: tuple | dict | None = None) -> list[tuple]:
        self.execute(sql, params)
        return self._cursor.fetchall()

    def query_one(self, sql: str, params: tuple | dict | None = None) -> tuple | None:
        self.execute(sql, params)
        return self._cursor.fetchone()

    def configure(self, settings: dict[str, int], optional: dict[str, int] | None = None) -> None:
        """SET these (e.g. lock_timeout in ms) for the session, now and after every
        `reset_session`; the `optional` ones only where the role may set them (superuser
        settings such as deadlock_timeout), left out where it may not."""
        allowed = dict(settings)
        for name, value in (optional or {}).items():
            try:
                self.execute(f"SET {name} = {int(value)}")
                allowed[name] = value
            except ServerError as error:
                if error.sqlstate != _INSUFFICIENT_PRIVILEGE:
                    raise
        self._configured = "; ".join(f"SET {name} = {int(v)}" for name, v in allowed.items())
        self.execute(self._configured)

    def reset_session(self) -> None:
        """Undo what a migration SET for the session (search_path, role, timeouts…), so the
        next migration starts as it would in a run of its own. One round trip."""
        self.execute(f"RESET ALL; RESET ROLE; {self._session_settings()}; {self._configured}")

    def _session_settings(self) -> str:
        if self._raw.server_version < 140000:
            return ""
        # A killed runner's backend notices the dead client within a second instead of
        # running on (and holding its locks) until the current statement ends; and a quiet
        # lock connection is never ended by idle_session_timeout.
        return "SET client_connection_check_interval = 1000; SET idle_session_timeout = 0"

    def cancel(self) -> None:
        """Cancel the statement running on this connection (callable from another thread)."""
        if not self._raw.closed:
            self._raw.cancel()

    def close(self) -> None:
        if not self._raw.closed:
            self._raw.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _server_error(exc: psycopg2.Error) -> ServerError | ConnectError:
    diag = exc.diag
    lost = (psycopg2.OperationalError, psycopg2.InterfaceError)
    if exc.pgcode is None and isinstance(exc, lost):
        return ConnectError(
            f"lost the database connection: {str(exc).strip().splitlines()[0]}",
            "check the server, then run the command again; `audifi-db status` shows what applied",
        )
    position = int(diag.statement_position) if diag.statement_position else None
    message = diag.message_primary or str(exc).strip()
    return ServerError(exc.pgcode or "", message, diag.message_detail, diag.message_hint, position)


_interrupted: list[bool] = []


def cancel_on_interrupt() -> None:
    """From now on, wait for the server with select(): Ctrl-C then cancels the running
    statement on the server (it fails with SQLSTATE 57014 and is recorded as failed) instead
    of waiting for it to finish, and `interrupted()` says so. For runs that change the
    database; `status` skips its cost."""
    psycopg2.extensions.set_wait_callback(_wait_cancelling_on_interrupt)


def interrupted() -> bool:
    """Whether Ctrl-C cancelled a statement since `cancel_on_interrupt`."""
    return bool(_interrupted)


def _wait_cancelling_on_interrupt(conn: psycopg2.extensions.connection) -> None:
    """psycopg2's wait_select, remembering a Ctrl-C before it cancels the statement."""
    while True:
        try:
            state = conn.poll()
            if state == psycopg2.extensions.POLL_OK:
                return
            readable = state == psycopg2.extensions.POLL_READ
            select.select(
                [conn.fileno()] if readable else [], [] if readable else [conn.fileno()], []
            )
        except KeyboardInterrupt:
            _interrupted.append(True)
            conn.cancel()


def check_url(url: str) -> None:
    """Refuse a URL psycopg2 could not use, naming what is wrong (never echoing a password)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(
            f"malformed database URL {redact(url)}: {exc}",
            "use postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
        ) from None
    port_param = parse_qs(parts.query).get("port", ["5432"])[0]
    if not port_param.isdigit():
        raise ConfigError(
            f"malformed database URL {redact(url)}: port={port_param!r} is not a number",
            "use postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
        )
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(
            f"malformed database URL {redact(url)}: scheme must be postgresql://",
            "use postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
        )
    del port


def _tcp_target(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = unquote(parts.hostname or "") or (query.get("host", [""])[0])
    if not host or host.startswith("/"):
        return None  # a Unix socket: libpq's own message is clear enough
    return host, parts.port or int(query.get("port", ["5432"])[0])


def _probe(url: str) -> None:
    target = _tcp_target(url)
    if target is None:
        return
    host, port = target
    import socket  # here: only a failed connection needs it (3 ms off every command's start)

    try:
        with socket.create_connection(target, timeout=CONNECT_TIMEOUT_SECONDS):
            pass
    except socket.gaierror:
        raise ConnectError(
            f"cannot resolve database host {host!r} ({redact(url)})",
            "check the host name in the URL and your network/VPN",
        ) from None
    except OSError as exc:
        raise ConnectError(
            f"cannot reach PostgreSQL at {host}:{port} ({redact(url)}): {exc.strerror or exc}",
            "is the server running and the port open? check the URL",
        ) from None


def connect(url: str, application_name: str = "audifi-db") -> Connection:
    """Open an autocommit connection, turning every failure into one clear ConnectError."""
    check_url(url)
    try:
        raw = psycopg2.connect(
            url,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name=f"{application_name} {__version__}",
            **KEEPALIVES,
        )
    except psycopg2.OperationalError as exc:
        _probe(url)  # only after a failure: tells "unreachable" from "refused us"
        raise _startup_error(url, str(exc)) from None
    except psycopg2.ProgrammingError:
        raise ConfigError(
            f"malformed database URL {redact(url)}",
            "use postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
        ) from None
    raw.autocommit = True
    conn = Connection(raw)
    if settings := conn._session_settings():
        conn.execute(settings)
    return conn


def _startup_error(url: str, text: str) -> ConnectError:
    """The server's own words (libpq gives no SQLSTATE before a session exists)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    server_says = (lines[-1] if lines else text).removeprefix("FATAL:").strip()
    return ConnectError(
        f"cannot connect to {redact(url)}: {server_says}",
        "check the user, password and database name in the URL "
        "(`audifi-db db create` creates a missing database)",
    )
