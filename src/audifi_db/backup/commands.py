"""Pure: pg_dump, pg_restore and psql argument lists, a backup's file name, the SQL that
frames a restore. (Finding the programs and handing them a password: `pgtools`.)

Nothing here runs a process or reads a file: `process.py` does, with what this builds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..identifiers import fit


def with_database(url: str, database: str) -> str:
    """The same server, another database."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "dbname"]
    return urlunsplit(parts._replace(path=f"/{database}", query=urlencode(query)))


def dump_args(pg_dump: Path, url: str, out: Path, snapshot: str | None) -> list[str]:
    """pg_dump in custom format (compressed as pg_dump compresses by default) to `out`."""
    args = [str(pg_dump), "--format=custom", f"--file={out}", "--no-password"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    return [*args, f"--dbname={url}"]


def restore_args(
    pg_restore: Path, dump: Path, url: str, *, jobs: int = 1, scratch: bool = False
) -> list[str]:
    """pg_restore of `dump` into the database at `url`, with `jobs` workers. A scratch copy
    skips owners and grants (its roles are ours)."""
    args = [str(pg_restore), "--exit-on-error", "--no-password"]
    if scratch:
        args += ["--no-owner", "--no-acl"]
    if jobs > 1:
        args.append(f"--jobs={jobs}")
    return [*args, f"--dbname={url}", str(dump)]


def restore_sql_args(pg_restore: Path) -> list[str]:
    """pg_restore reading the archive on its stdin and writing its SQL on stdout."""
    return [str(pg_restore), "--exit-on-error", "--no-password", "--file=-"]


def psql_args(psql: Path, url: str) -> list[str]:
    """psql running the SQL on its stdin, stopping at the first error."""
    return [
        str(psql),
        "--no-psqlrc",
        "--quiet",
        "--no-password",
        "--set=ON_ERROR_STOP=1",
        "--output=/dev/null",
        f"--dbname={url}",
        "--file=-",
    ]


def transaction(statements: Sequence[str]) -> tuple[bytes, bytes]:
    """What goes before and after the SQL a restore pipes into psql: BEGIN and
    `statements`, then COMMIT (which the pipe sends only when pg_restore succeeded)."""
    before = "".join(f"{s};\n" for s in ["BEGIN", *statements])
    return before.encode(), b"\nCOMMIT;\n"


def backup_name(database: str, environment: str, when: datetime, tail: str) -> str:
    """`<database>-<env>-<UTC timestamp>-<tail>` (tail: `before-<version>`, `on-demand`,
    `before-restore`), without suffix."""
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    return f"{_safe(database)}-{_safe(environment)}-{stamp}-{_safe(tail)}"


def restore_point_name(run_or_backup: str) -> str:
    """`audifi-db-<run id or backup name>`; past 63 bytes, its head and a digest of the
    whole, so that two long names stay two points (names are ASCII: see `_safe`)."""
    return fit(f"audifi-db-{run_or_backup}", "-", 12)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text) or "_"
