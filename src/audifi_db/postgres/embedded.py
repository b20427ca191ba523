"""The `local` fallback: an embedded PostgreSQL from the pgserver package.

Used when `--env local` has no DATABASE_URL, so a fresh laptop needs no server installed.
The data lives in the project's .audifi/pgdata; the server (a `postgres` process listening
on a Unix socket only, in that folder) is started on first use and keeps running between
calls until `stop`.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import ConnectError
from .connect import connect
from .history import quote_ident


def start(data_dir: Path, database: str, *, create: bool = True) -> str:
    """Start (or reuse) the embedded server and return a URL of `database`, creating it
    unless told not to."""
    warnings.filterwarnings("ignore", module="platformdirs")
    try:
        import pgserver
    except ImportError:
        raise ConnectError(
            "no DATABASE_URL is set and the embedded server (pgserver) is not installed",
            "set DATABASE_URL=postgresql://… or `pip install pgserver`",
        ) from None
    data_dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("pgserver").disabled = True  # it logs whole server logs on failure
    try:
        server = pgserver.get_server(data_dir, cleanup_mode=None)
    except Exception as exc:  # noqa: BLE001 - pgserver raises bare Exceptions from initdb/pg_ctl
        raise ConnectError(
            f"cannot start the embedded PostgreSQL in {data_dir}: {str(exc).splitlines()[0]}",
            f"its log is {data_dir / 'log'}; remove {data_dir} to start afresh, or set "
            "DATABASE_URL",
        ) from None
    if not create:
        return server.get_uri(database)
    with connect(server.get_uri()) as conn:
        if not conn.query_one("SELECT 1 FROM pg_database WHERE datname = %s", (database,)):
            conn.execute(f"CREATE DATABASE {quote_ident(database)}")
    return server.get_uri(database)


def bin_dir() -> Path | None:
    """The folder of the PostgreSQL binaries shipped in the pgserver package (pg_dump,
    pg_restore, psql, initdb, …), found without importing pgserver; None without it."""
    from importlib.util import find_spec

    spec = find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return folder if folder.is_dir() else None


@dataclass(frozen=True)
class Running:
    """The embedded server, as its postmaster.pid describes it."""

    pid: int
    started: datetime
    socket_dir: str

    def url(self, database: str) -> str:
        """A URL of `database` on it (a Unix socket, user postgres, no password)."""
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"


def running(data_dir: Path) -> Running | None:
    """The embedded server of `data_dir` if it runs, else None (nothing is started)."""
    if not (data_dir / "postmaster.pid").is_file():
        return None
    warnings.filterwarnings("ignore", module="platformdirs")
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data_dir)
    if info is None or not info.is_running():
        return None
    return Running(info.pid, info.start_time, str(info.socket_dir or ""))


def stop(data_dir: Path, timeout: float = 30.0) -> Running | None:
    """Stop the embedded server as `pg_ctl stop -m fast` does (SIGINT: sessions are ended,
    their transactions rolled back, then it shuts down cleanly); what was stopped, or None
    when nothing ran."""
    server = running(data_dir)
    if server is None:
        return None
    os.kill(server.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while running(data_dir) is not None:
        if time.monotonic() > deadline:
            raise ConnectError(
                f"the embedded PostgreSQL (pid {server.pid}) did not stop within {timeout:g} s",
                f"see {data_dir / 'log'}; stop it with `kill {server.pid}`",
            )
        time.sleep(0.1)
    return server


def wipe(data_dir: Path) -> None:
    """Stop the embedded server and delete its data: the next use starts a new one."""
    import shutil

    stop(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)
