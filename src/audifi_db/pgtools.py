"""PostgreSQL's client programs (pg_dump, pg_restore, psql): find one new enough for a
server, and hand it a password without ever putting it on a command line.

A program is looked for in a configured folder if one is given, else on PATH, then in the
pgserver package (`pgserver/pginstall/bin`, found without importing pgserver); the first
whose major version is at least the server's is used (pg_dump refuses to dump a newer
server). A password goes into a pgpass file of mode 0600 made for the child and removed
after it: never its argument list (anyone on the machine can read it with `ps`), never a
log line. Used by `dump-schema` and by the backup package.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from .errors import ToolError

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Tool:
    """A client program and its version."""

    path: Path
    version: tuple[int, int]

    @property
    def major(self) -> int:
        return self.version[0]

    @property
    def version_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def describe(self) -> str:
        return f"{self.path.name} {self.version_text} ({self.path})"


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


def bundled_bin() -> Path | None:
    """The pgserver package's folder of PostgreSQL programs, if it is installed."""
    from importlib.util import find_spec

    spec = find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return folder if folder.is_dir() else None


def version_of(path: Path) -> Tool | None:
    """The program at `path` and its version, from `--version`; None if it does not run."""
    if not os.access(path, os.X_OK):
        return None
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    version = parse_version(out.stdout)
    return Tool(path, version) if version else None


def find(name: str, need_major: int, bin_dir: str = "") -> Tool:
    """`name` from `bin_dir` if given, else the first on PATH or in the pgserver package
    whose major version is at least `need_major`; ToolError naming what was found."""
    if bin_dir:
        folders, where = [Path(bin_dir).expanduser()], f"in [backup] bin_dir {bin_dir}"
    else:
        on_path, bundled = shutil.which(name), bundled_bin()
        folders = [Path(on_path).parent] if on_path else []
        folders += [bundled] if bundled else []
        where = "on PATH or in the pgserver package"
    found = [tool for folder in dict.fromkeys(folders) if (tool := version_of(folder / name))]
    return choose(name, found, need_major, where)


def choose(name: str, found: Sequence[Tool], need_major: int, where: str) -> Tool:
    """The first of `found` (in search order) whose major version is at least `need_major`;
    a ToolError naming what was found and what is needed otherwise."""
    for tool in found:
        if tool.major >= need_major:
            return tool
    if not found:
        raise ToolError(
            f"no {name} found ({where})",
            f"install the PostgreSQL {need_major} client (or newer), `pip install pgserver`, "
            "or set [backup] bin_dir to the folder holding it",
        )
    seen = ", ".join(f"{t.version_text} at {t.path}" for t in found)
    raise ToolError(
        f"{name} is older than the server: found {seen}; the server is {need_major}",
        f"install {name} {need_major} or newer, or set [backup] bin_dir to its folder",
    )


def sibling(tool: Tool, name: str) -> Tool:
    """`name` (psql, pg_restore) from the same folder as `tool`, which must have it."""
    found = version_of(tool.path.parent / name)
    if found is None:
        raise ToolError(
            f"no {name} beside {tool.path}", f"install the PostgreSQL client that has {name}"
        )
    return found


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
    kept = [(k, v) for k, v in pairs if k.lower() != "password"]
    if len(kept) != len(pairs):
        password = next(v for k, v in pairs if k.lower() == "password")
        parts = parts._replace(query=urlencode(kept))
    return urlunsplit(parts), password


def pgpass_line(password: str) -> str:
    """A pgpass entry giving `password` to any host, port, database and user: the file is
    made for one child process and removed after it."""
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:*:*:{escaped}\n"


@contextmanager
def client_environment(
    password: str | None, application: str = "audifi-db"
) -> Iterator[dict[str, str]]:
    """The environment for a libpq client: with a password, PGPASSFILE names a 0600 file
    holding it (removed afterwards) and PGPASSWORD is unset, so the file is what is used."""
    env = dict(os.environ)
    env.setdefault("PGAPPNAME", application)
    if password is None:
        yield env
        return
    env.pop("PGPASSWORD", None)
    folder = tempfile.mkdtemp(prefix="audifi-db-")
    path = Path(folder) / "pgpass"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(pgpass_line(password))
        env["PGPASSFILE"] = str(path)
        yield env
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(tool: Tool, args: Sequence[str], url: str) -> str:
    """Run `tool ARGS --dbname URL` and return its stdout; ToolError with its own last words
    when it fails."""
    safe_url, password = without_password(url)
    command = [str(tool.path), *args, "--no-password", f"--dbname={safe_url}"]
    with client_environment(password) as env:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise ToolError(
            f"{tool.path.name} failed: {lines[-1] if lines else f'exit status {done.returncode}'}",
            f"it was {tool.describe()}",
        )
    return done.stdout
