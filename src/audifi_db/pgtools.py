"""PostgreSQL's client programs (pg_dump, psql): find one new enough for a server, run it.

A program is looked for on PATH, then in the pgserver package (`pgserver/pginstall/bin`,
found without importing pgserver); the first whose major version is at least the server's
is used (pg_dump refuses to dump a newer server). A password never goes on a command line,
where anyone on the machine can read it: the child gets it in PGPASSWORD.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from .errors import ConfigError

_VERSION = re.compile(r"\(PostgreSQL\) (\d+)(?:\.(\d+))?")


class ToolError(ConfigError):
    """A client program is missing, too old for the server, or failed."""


@dataclass(frozen=True)
class Tool:
    path: Path
    major: int
    minor: int

    def describe(self) -> str:
        return f"{self.path} ({self.major}.{self.minor})"


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
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    match = _VERSION.search(out.stdout)
    return Tool(path, int(match[1]), int(match[2] or 0)) if match else None


def find(name: str, need_major: int) -> Tool:
    """The first `name` on PATH or in the pgserver package whose major is ≥ `need_major`."""
    on_path = shutil.which(name)
    bundled = bundled_bin()
    candidates = [Path(on_path)] if on_path else []
    candidates += [bundled / name] if bundled else []
    found = [tool for path in dict.fromkeys(candidates) if (tool := version_of(path))]
    for tool in found:
        if tool.major >= need_major:
            return tool
    seen = ", ".join(tool.describe() for tool in found) or "none"
    raise ToolError(
        f"no {name} of PostgreSQL {need_major} or newer on PATH or in the pgserver package "
        f"(found: {seen})",
        f"install the PostgreSQL {need_major} client programs, or `pip install pgserver`",
    )


def without_password(url: str) -> tuple[str, str | None]:
    """(the URL with no password in it, the password or None)."""
    parts = urlsplit(url)
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None:
        userinfo, _, host = parts.netloc.rpartition("@")
        parts = parts._replace(netloc=f"{userinfo.partition(':')[0]}@{host}")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k != "password"]
    if len(kept) != len(pairs):
        password = next(v for k, v in pairs if k == "password")
        parts = parts._replace(query=urlencode(kept))
    return urlunsplit(parts), password


def run(tool: Tool, args: Sequence[str], url: str) -> str:
    """Run `tool ARGS --dbname URL` and return its stdout; ToolError with its own last words
    when it fails."""
    safe_url, password = without_password(url)
    env = {**os.environ, "PGAPPNAME": "audifi-db"}
    if password is not None:
        env["PGPASSWORD"] = password
    command = [str(tool.path), *args, "--no-password", f"--dbname={safe_url}"]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise ToolError(
            f"{tool.path.name} failed: {lines[-1] if lines else f'exit status {done.returncode}'}",
            f"it was {tool.describe()}",
        )
    return done.stdout
