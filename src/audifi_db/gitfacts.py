"""What git knows that `check` needs: the base commit, and the migration files it holds.

The one module that runs git (as a subprocess, never through a shell). Every failure is a
GitError that says what to do; nothing here writes to the repository.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import GitError

DEFAULT_BASES = ("origin/main", "main")
SHALLOW_HINT = (
    "fetch the base branch (`git fetch origin main`); in GitHub Actions give "
    "actions/checkout `fetch-depth: 0`"
)


@dataclass(frozen=True)
class Base:
    """The base branch as `check` compares against it.

    `fork_point`: the merge base of HEAD and `ref` — what this branch changed is measured
    from there. `tip`: where `ref` points now — new migrations must be newer than its newest.
    """

    ref: str
    tip: str
    fork_point: str


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    try:
        return subprocess.run(
            ["git", "-C", str(cwd), *args],
            input=stdin,
            capture_output=True,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed", "install git; `check` compares branches") from None


def _out(result: subprocess.CompletedProcess) -> str:
    return result.stdout.decode("utf-8", "replace").strip()


def toplevel(cwd: Path) -> Path:
    result = _git(cwd, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise GitError(
            f"{cwd} is not inside a git repository",
            "run `check` in a clone: it compares your branch with the base branch",
        )
    return Path(_out(result))


def commit_of(cwd: Path, ref: str) -> str | None:
    """The commit `ref` names, or None."""
    result = _git(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    return _out(result) if result.returncode == 0 else None


def resolve_base(cwd: Path, ref: str | None) -> Base:
    """`ref` (default: origin/main, else main) with its tip and its merge base with HEAD."""
    toplevel(cwd)  # "not a repository" before "no such ref"
    candidates = (ref,) if ref else DEFAULT_BASES
    for candidate in candidates:
        tip = commit_of(cwd, candidate)
        if tip is not None:
            break
    else:
        shown = ref or " nor ".join(DEFAULT_BASES)
        raise GitError(
            f"base {shown} is not a commit in this repository",
            f"pass --base REF (a branch, tag or commit); {SHALLOW_HINT}",
        )
    result = _git(cwd, "merge-base", "HEAD", tip)
    if result.returncode != 0:
        raise GitError(
            f"HEAD and {candidate} have no common history (a shallow clone?)", SHALLOW_HINT
        )
    return Base(candidate, tip, _out(result))


def files_at(cwd: Path, commit: str, folder: Path) -> dict[str, bytes]:
    """Name -> content of each file directly in `folder` (absolute) at `commit`."""
    top = toplevel(cwd)
    try:
        relative = folder.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        raise GitError(
            f"migrations folder {folder} is outside the git repository {top}",
            "set [migrations] dir to a folder inside the repository",
        ) from None
    listing = _git(top, "ls-tree", "-z", "--full-tree", commit, "--", f"{relative}/")
    if listing.returncode != 0:
        raise GitError(f"cannot list {relative} at {commit[:12]}: {_out(listing)}")
    blobs = {}
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        _mode, kind, sha = meta.split()
        if kind == b"blob":
            blobs[path.decode().rsplit("/", 1)[-1]] = sha.decode()
    return _read_blobs(top, blobs)


def _read_blobs(top: Path, blobs: dict[str, str]) -> dict[str, bytes]:
    """Every blob's content in one `git cat-file --batch`."""
    if not blobs:
        return {}
    result = _git(
        top, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in blobs.values()).encode()
    )
    if result.returncode != 0:
        raise GitError(f"cannot read files from git: {_out(result)}")
    data, contents, at = result.stdout, {}, 0
    for name in blobs:
        header_end = data.index(b"\n", at)
        size = int(data[at:header_end].split()[2])
        contents[name] = data[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1  # the content is followed by a newline
    return contents
