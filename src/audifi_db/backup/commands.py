"""Pure: pg_dump, pg_restore and psql argument lists, the libpq connection without its
password, a pgpass line, a backup's file name, and the choice of a client binary.

Nothing here runs a process or reads a file: `process.py` does, with what this builds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ..errors import BackupFailedError

_PASSWORD_KEYS = {"password"}


def without_password(url: str) -> tuple[str, str | None]:
    """(the URL with no password in it, the password or None): the first goes on a
    command line, the second into a pgpass file. A password in the user part is taken up
    to the last `@`, as `config.redact` does; `?password=` is removed too."""
    scheme, sep, rest = url.partition("://")
    password = None
    userinfo, at, after = rest.rpartition("@")
    if sep and at and ":" in userinfo:
        user, _, secret = userinfo.partition(":")
        password, rest = unquote(secret), f"{user}@{after}"
    parts = urlsplit(f"{scheme}{sep}{rest}")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k.lower() not in _PASSWORD_KEYS]
    if len(kept) != len(pairs):
        password = next(v for k, v in pairs if k.lower() in _PASSWORD_KEYS)
        parts = parts._replace(query=urlencode(kept))
    return urlunsplit(parts), password


def with_database(url: str, database: str) -> str:
    """The same server, another database."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "dbname"]
    return urlunsplit(parts._replace(path=f"/{database}", query=urlencode(query)))


def pgpass_line(password: str) -> str:
    """A pgpass entry giving `password` to any host, port, database and user: the file is
    made for one child process and removed after it."""
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:*:*:{escaped}\n"


def dump_args(pg_dump: Path, url: str, out: Path, snapshot: str | None) -> list[str]:
    """pg_dump in custom format (compressed as pg_dump compresses by default) to `out`."""
    args = [str(pg_dump), "--format=custom", f"--file={out}", "--no-password"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    return [*args, f"--dbname={url}"]


def restore_args(
    pg_restore: Path, dump: Path, url: str | None = None, *, jobs: int = 1, scratch: bool = False
) -> list[str]:
    """pg_restore of `dump`: into the database at `url` (with `jobs` workers), or as SQL on
    stdout when `url` is None. A scratch copy skips owners and grants (its roles are ours)."""
    args = [str(pg_restore), "--exit-on-error", "--no-password"]
    if scratch:
        args += ["--no-owner", "--no-acl"]
    if url is None:
        return [*args, "--file=-", str(dump)]
    if jobs > 1:
        args.append(f"--jobs={jobs}")
    return [*args, f"--dbname={url}", str(dump)]


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


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text) or "_"


_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> tuple[int, int] | None:
    """`pg_dump (PostgreSQL) 16.2` -> (16, 2); None when it is not such a line."""
    match = _VERSION.search(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def major_of(version: str) -> int:
    """`16.2` -> 16; 0 when unknown."""
    head = version.split(".")[0]
    return int(head) if head.isdigit() else 0


@dataclass(frozen=True)
class Tool:
    """A client binary and its version."""

    path: Path
    version: tuple[int, int]

    @property
    def version_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def describe(self) -> str:
        return f"{self.path.name} {self.version_text} ({self.path})"


def choose(name: str, found: Sequence[Tool], need_major: int, where: str) -> Tool:
    """The first of `found` (in search order) whose major version is at least `need_major`;
    a BackupFailedError naming what was found and what is needed otherwise."""
    for tool in found:
        if tool.version[0] >= need_major:
            return tool
    if not found:
        raise BackupFailedError(
            f"no {name} found ({where})",
            f"install the PostgreSQL {need_major} client (or newer), or set "
            "[backup] bin_dir to the folder holding it",
        )
    seen = ", ".join(f"{t.version[0]}.{t.version[1]} at {t.path}" for t in found)
    raise BackupFailedError(
        f"{name} is older than the server: found {seen}; the server is {need_major}",
        f"install {name} {need_major} or newer, or set [backup] bin_dir to its folder",
    )
