"""Pure: the base branch's migrations against this branch's -> what would break a team.

No I/O. `compare` takes two lists of (path, version, name, checksum) and returns the
problems: an edit to a migration the base branch has (it is applied somewhere), a deleted
or renamed one, two with one version, and a new one that is not newer than the newest on
the base branch (a merge-order conflict). Each message says what to type to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from posixpath import dirname

from .discovery import next_version


@dataclass(frozen=True)
class Entry:
    """One migration file on one side: where it is, what it is, its content's checksum."""

    path: str
    version: str
    name: str
    checksum: str

    @property
    def filename(self) -> str:
        return f"{self.version}_{self.name}.sql"


class Kind(StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    RENAMED = "renamed"
    DUPLICATE_VERSION = "duplicate-version"
    OUT_OF_ORDER = "out-of-order"


@dataclass(frozen=True)
class Problem:
    """One conflict; `line` is where an annotation goes (the first edited line of an edit)."""

    kind: Kind
    path: str
    message: str
    hint: str
    line: int = 1

    def to_json(self) -> dict:
        return {
            "kind": str(self.kind),
            "file": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }


def first_difference(old: str, new: str) -> int:
    """The 1-based line of `new` where it first differs from `old`."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if a != b:
            return number
    common = min(len(old_lines), len(new_lines))
    return max(1, min(common + 1, len(new_lines)))  # lines added or removed at the end


def changed_since(base: Iterable[Entry], head: Iterable[Entry]) -> list[Entry]:
    """The head migrations that are new or differ from the base, in version order."""
    known = {(entry.filename, entry.checksum) for entry in base}
    fresh = [entry for entry in head if (entry.filename, entry.checksum) not in known]
    return sorted(fresh, key=lambda entry: (entry.version, entry.name))


def compare(
    base: Sequence[Entry],
    head: Sequence[Entry],
    *,
    now: datetime,
    base_ref: str = "the base branch",
    tip: Sequence[Entry] = (),
) -> list[Problem]:
    """Every problem of `head` against `base` (where this branch left the base branch).

    `tip` is the base branch as it is now (it may have moved on since `base`): a new
    migration must be newer than the newest there too. `now` picks the fresh versions
    that the messages suggest. Sorted by path.
    """
    versions = Versions([e.version for e in (*base, *head, *tip)], now)
    problems = _base_side(base, head, base_ref)
    problems += _duplicates(base, head, versions)
    reported = {p.path for p in problems}
    problems += _out_of_order(base, head, tip, versions, reported, base_ref)
    return sorted(problems, key=lambda p: (p.path, p.kind))


class Versions:
    """Fresh versions for the messages: each newer than every known and every one given."""

    def __init__(self, known: list[str], now: datetime) -> None:
        self.known, self.now = known, now

    def fresh_path(self, entry: Entry) -> str:
        version = next_version(self.known, self.now)
        self.known.append(version)
        folder = dirname(entry.path)
        return f"{folder}/{version}_{entry.name}.sql" if folder else f"{version}_{entry.name}.sql"


def _by_version(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    grouped: dict[str, list[Entry]] = {}
    for entry in sorted(entries, key=_order):
        grouped.setdefault(entry.version, []).append(entry)
    return grouped


def _order(entry: Entry) -> tuple[str, str]:
    return (entry.version, entry.name)


def _base_side(base: Sequence[Entry], head: Sequence[Entry], base_ref: str) -> list[Problem]:
    """What this branch did to each migration the base branch has: edited, renamed, deleted."""
    head_by_name = {entry.filename: entry for entry in head}
    base_names = {entry.filename for entry in base}
    newcomers = [entry for entry in head if entry.filename not in base_names]
    problems = []
    for old in base:
        same = head_by_name.get(old.filename)
        if same is not None:
            if same.checksum != old.checksum:
                problems.append(_edited(same, base_ref))
            continue
        # gone under its name: the same version under another name, or the same content
        # under another version, is a rename; else a deletion
        moved = next(
            (e for e in newcomers if e.version == old.version or e.checksum == old.checksum),
            None,
        )
        problems.append(_renamed(old, moved) if moved else _deleted(old, base_ref))
    return problems


def _edited(entry: Entry, base_ref: str) -> Problem:
    return Problem(
        Kind.EDITED,
        entry.path,
        f"{entry.path}: edited, but migration {entry.version} is on {base_ref} already and "
        "may be applied somewhere (staging, production): databases that ran it keep the old "
        "version and report it changed",
        f"restore it (`git checkout {base_ref} -- {entry.path}`) and make the change in a new "
        "migration (`audifi-db new NAME`)",
    )


def _deleted(entry: Entry, base_ref: str) -> Problem:
    return Problem(
        Kind.DELETED,
        entry.path,
        f"{entry.path}: deleted, but migration {entry.version} is on {base_ref} and may be "
        "applied somewhere: databases that ran it would report it missing and refuse to deploy",
        f"restore it (`git checkout {base_ref} -- {entry.path}`); undo what it did with a "
        "new migration",
    )


def _renamed(old: Entry, new: Entry) -> Problem:
    return Problem(
        Kind.RENAMED,
        new.path,
        f"{new.path}: renamed from {old.path}: databases know a migration by its version and "
        f"name, so {old.filename} would be missing and {new.filename} would run again",
        f"rename it back: `git mv {new.path} {old.path}`",
    )


def _duplicates(base: Sequence[Entry], head: Sequence[Entry], versions: Versions) -> list[Problem]:
    """Two head files with one version: the one the base branch lacks is to be moved."""
    base_names = {entry.filename for entry in base}
    problems = []
    for version, entries in _by_version(head).items():
        if len(entries) < 2:
            continue
        keep = next((e for e in entries if e.filename in base_names), entries[0])
        problems += [
            Problem(
                Kind.DUPLICATE_VERSION,
                entry.path,
                f"{entry.path}: version {version} is also used by {keep.path}; one version "
                "must name one migration",
                f"give it a fresh version: `git mv {entry.path} {versions.fresh_path(entry)}`",
            )
            for entry in entries
            if entry is not keep
        ]
    return problems


def _out_of_order(
    base: Sequence[Entry],
    head: Sequence[Entry],
    tip: Sequence[Entry],
    versions: Versions,
    reported: set[str],
    base_ref: str,
) -> list[Problem]:
    """New migrations not newer than the newest on the base branch (then or now)."""
    upstream = {entry.filename: entry for entry in (*base, *tip)}
    if not upstream:
        return []
    newest = max(upstream.values(), key=_order)
    used_upstream = _by_version(upstream.values())
    problems = []
    for entry in sorted(head, key=_order):
        if entry.filename in upstream or entry.path in reported or entry.version > newest.version:
            continue
        if entry.version in used_upstream:
            other = used_upstream[entry.version][0].filename
            what = (
                f"version {entry.version} is already taken on {base_ref} by {other}: "
                "merged, two migrations would share one version"
            )
        else:
            what = (
                f"version {entry.version} is not newer than {newest.filename}, the newest "
                f"migration on {base_ref}: a database that ran that one would run this one "
                "out of order (a merge-order conflict)"
            )
        problems.append(
            Problem(
                Kind.OUT_OF_ORDER,
                entry.path,
                f"{entry.path}: {what}",
                f"give it a fresh version: `git mv {entry.path} {versions.fresh_path(entry)}`",
            )
        )
    return problems
