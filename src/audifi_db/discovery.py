"""The migrations folder -> [Migration]: names, directives, checksums.

The only module that reads migration files. Every problem with a file is an error that names it.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .errors import ConfigError, MigrationFileError
from .model import DIRECTIVE_PREFIX, NO_TRANSACTION, NO_TRANSACTION_RULE, Directive, Migration

FILENAME = re.compile(r"^(?P<version>\d{14})_(?P<name>[a-z0-9]+(?:_[a-z0-9]+)*)\.(?:sql|py)$")
NAME = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
KNOWN_DIRECTIVES = {NO_TRANSACTION, "allow"}
BOM = b"\xef\xbb\xbf"
VERSION_FORMAT = "%Y%m%d%H%M%S"


def normalise(data: bytes) -> bytes:
    """The bytes a checksum is taken of: UTF-8 BOM dropped, CRLF turned into LF."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    return data.replace(b"\r\n", b"\n")


def directives(text: str) -> list[Directive]:
    """The directives in the leading comment lines of a migration (before its first SQL)."""
    if DIRECTIVE_PREFIX not in text:  # most files: one scan in C instead of a line loop
        return []
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        if stripped.startswith(DIRECTIVE_PREFIX):
            name, _, argument = stripped[len(DIRECTIVE_PREFIX) :].strip().partition(" ")
            found.append(Directive(number, name, argument.strip()))
    return found


def is_transactional(text: str) -> bool:
    """False when the leading comment lines hold `-- audifi-db: no-transaction`."""
    return not any(d.name == NO_TRANSACTION for d in directives(text))


def display_path(path: Path) -> str:
    """The path as a user would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_sql(path: Path, shown: str | None = None) -> str:
    """A SQL file's text, BOM dropped and CRLF turned into LF; errors name the file."""
    shown = shown or display_path(path)
    return decode_sql(_read_bytes(str(path), shown), shown)


_READ_SIZE = 1 << 16


def _read_bytes(path: str, shown: str) -> bytes:
    """The file's bytes in as few system calls as a regular file allows: a read shorter
    than asked for is its end (a migration folder of thousands of files pays per call)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            chunks = [os.read(fd, _READ_SIZE)]
            while len(chunks[-1]) == _READ_SIZE:
                chunks.append(os.read(fd, _READ_SIZE))
        finally:
            os.close(fd)
    except OSError as exc:
        raise MigrationFileError(f"{shown}: cannot read: {exc.strerror}") from None
    return b"".join(chunks)


def decode_sql(data: bytes, shown: str) -> str:
    """SQL bytes as text, BOM dropped and CRLF turned into LF; errors name `shown`."""
    return _decode(normalise(data), shown)


def _decode(normalised: bytes, shown: str) -> str:
    try:
        return normalised.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MigrationFileError(
            f"{shown}: not UTF-8 (byte {exc.start})", "save the file as UTF-8"
        ) from None


def read_migration(path: Path, shown: str | None = None) -> Migration:
    """One migration file; `shown` is how messages name it (default: display_path)."""
    return _read_migration(path.name, str(path), shown or display_path(path))


def _read_migration(filename: str, path: str, shown: str) -> Migration:
    match = _check_name(filename, shown)  # before reading: a stray file's name is what is wrong
    data = normalise(_read_bytes(path, shown))
    return _migration(match, _decode(data, shown), data, shown)


def _check_name(filename: str, shown: str) -> re.Match:
    match = FILENAME.match(filename)
    if not match:
        raise MigrationFileError(
            f"{shown}: not a migration file name",
            "name it <UTC YYYYMMDDHHMMSS>_<snake_case_name>.sql (or .py for a Python "
            "migration), e.g. via `audifi-db new NAME`",
        )
    return match


def migration_from_text(filename: str, text: str, shown: str) -> Migration:
    """A migration from its file name and text (as `decode_sql` returns it), e.g. a file as
    git stored it."""
    return _migration(_check_name(filename, shown), text, text.encode("utf-8"), shown)


def _migration(match: re.Match, text: str, data: bytes, shown: str) -> Migration:
    """The migration `match` (its file name) names, from its text and that text's UTF-8
    bytes (hashed as read: a folder of thousands of files pays for every copy)."""
    if not text.strip():
        raise MigrationFileError(f"{shown}: empty migration", "write its SQL or delete the file")
    found = () if match.string.endswith(".py") else tuple(directives(text))
    for directive in found:
        if directive.name not in KNOWN_DIRECTIVES:
            raise MigrationFileError(
                f"{shown}:{directive.line}: unknown directive {directive.name!r}",
                f"known: {', '.join(sorted(KNOWN_DIRECTIVES))}",
            )
    version, name = match.group("version", "name")
    return Migration(version, name, shown, hashlib.sha256(data).hexdigest(), text, found)


def discover_seeds(folder: Path) -> list[Migration]:
    """The seed files (`*.sql`) of `folder` in name order, each as a Migration whose version
    and name are the file's stem; [] when there is no such folder."""
    if not folder.is_dir():
        return []
    seeds = []
    for path in sorted(folder.glob("*.sql")):
        shown = display_path(path)
        text = read_sql(path, shown)
        checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
        seeds.append(
            Migration(path.stem, path.stem, shown, checksum, text, tuple(directives(text)))
        )
    return seeds


def _is_ignored(name: str) -> bool:
    return name.startswith(".") or name.upper().startswith("README")


def discover(folder: Path) -> list[Migration]:
    """Every migration in `folder`, in version order."""
    migrations: dict[str, Migration] = {}
    for migration in read_folder(folder):
        if migration.version in migrations:
            raise MigrationFileError(
                f"{migration.path}: version {migration.version} is also used by "
                f"{migrations[migration.version].path}",
                "give one of them a new version (`audifi-db new` picks a free one)",
            )
        migrations[migration.version] = migration
    return [migrations[version] for version in sorted(migrations)]


def is_migration_name(name: str) -> bool:
    """A name the migrations folder may hold as a migration (not README or a dotfile)."""
    return not _is_ignored(name) and FILENAME.match(name) is not None


def read_folder(folder: Path) -> list[Migration]:
    """Every migration file in `folder` in name order, two with one version included
    (`discover` refuses those; `check` reports them as a conflict)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except FileNotFoundError:
        raise ConfigError(
            f"migrations folder {folder} does not exist",
            "create it, run `audifi-db new NAME`, or set [migrations] dir in audifi-db.toml",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read migrations folder {folder}: {exc.strerror}") from None
    shown_folder = display_path(folder)  # once: resolving every file's path costs 20 ms per 1,000
    return [
        _read_migration(entry.name, entry.path, f"{shown_folder}/{entry.name}")
        for entry in entries
        if not _is_ignored(entry.name)
    ]


def next_version(existing: list[str], now: datetime) -> str:
    """UTC now as YYYYMMDDHHMMSS, moved past every existing version."""
    latest = max(existing, default="")
    moment = now.astimezone(UTC)
    if moment.strftime(VERSION_FORMAT) <= latest:
        moment = datetime.strptime(latest, VERSION_FORMAT).replace(tzinfo=UTC)
        moment += timedelta(seconds=1)
    return moment.strftime(VERSION_FORMAT)


HEADER = f"""-- Migration {{version}}_{{name}}
-- Created {{created}} UTC. Runs in one transaction; forward-only: undo with a new migration.
-- For CREATE INDEX CONCURRENTLY and other statements that cannot run in a transaction,
-- {NO_TRANSACTION_RULE}.

"""


def named(folder: Path, name: str) -> list[str]:
    """The migration files in `folder` whose name part is `name`."""
    if not folder.is_dir():
        return []
    return sorted(
        p.name for p in folder.iterdir() if (m := FILENAME.match(p.name)) and m["name"] == name
    )


def check_name(name: str) -> None:
    if not NAME.match(name):
        raise ConfigError(
            f"migration name {name!r} is not snake_case",
            "use lower-case letters, digits and underscores, e.g. add_users_table",
        )


def create_migration(
    folder: Path,
    name: str,
    now: datetime | None = None,
    *,
    text: str | None = None,
    suffix: str = ".sql",
) -> Path:
    """Write a new migration file with the next free version: `text`, or an empty-bodied
    SQL migration with its header."""
    check_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    while True:
        existing = [m["version"] for p in folder.iterdir() if (m := FILENAME.match(p.name))]
        version = next_version(existing, now)
        # A reservation file makes the version unique even against a concurrent `new`
        # that picks the same second for another name.
        reservation = folder / f".{version}.reserved"
        try:
            reservation.touch(exist_ok=False)
        except FileExistsError:
            continue
        try:
            if any(p.name.startswith(f"{version}_") for p in folder.iterdir()):
                continue
            path = folder / f"{version}_{name}{suffix}"
            created = now.strftime("%Y-%m-%d %H:%M:%S")
            path.write_text(text or HEADER.format(version=version, name=name, created=created))
            return path
        finally:
            reservation.unlink()
