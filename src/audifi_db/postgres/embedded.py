"""The `local` fallback: an embedded PostgreSQL from the pgserver package.

Used when `--env local` has no DATABASE_URL, so a fresh laptop needs no server installed.
The data lives in the project's .audifi/pgdata; the server keeps running between calls.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from ..errors import ConnectError
from .connect import connect
from .history import quote_ident


def start(data_dir: Path, database: str) -> str:
    """Start (or reuse) the embedded server and return a URL of `database`, creating it."""
    warnings.filterwarnings("ignore", module="platformdirs")
    try:
        import pgserver
    except ImportError:
        raise ConnectError(
            "no DATABASE_URL is set and the embedded server (pgserver) is not installed",
            "set DATABASE_URL=postgresql://… or `pip install pgserver`",
        ) from None
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = pgserver.get_server(data_dir, cleanup_mode=None)
    except Exception as exc:  # noqa: BLE001 - pgserver raises bare Exceptions from initdb/pg_ctl
        raise ConnectError(
            f"cannot start the embedded PostgreSQL in {data_dir}: {str(exc).splitlines()[0]}",
            f"remove {data_dir} to start afresh, or set DATABASE_URL",
        ) from None
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
