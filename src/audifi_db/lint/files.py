"""Lint files and folders: read them (through discovery, the reader of SQL files), give each
migration the schema the migrations before it leave, and spread independent work over the
machine's cores when there is enough of it.

A folder is every migration in it, in version order, each linted against what the files
before it leave. A file named like a migration (`<version>_<name>.sql`) is linted against
the migrations before it in its own folder (replayed, not reported). Any other SQL file is
linted on its own. Folders and lone files are independent units: a large input spreads them
over a process pool (`concurrent.futures`); a small one, the usual case, stays in this
process, which costs less than starting workers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from .. import discovery
from .engine import explain_folder, explain_source, lint_folder, lint_source
from .model import Finding
from .schema import SchemaModel, Session

POOL_MIN_BYTES = 400_000  # below this, starting worker processes costs more than it saves


class Source(NamedTuple):
    """One migration's text and what the engine needs to know of it."""

    path: str
    sql: str
    transactional: bool
    version: str = ""


class Unit(NamedTuple):
    """Files linted in one pass over one schema model: a folder's migrations (only those in
    `only` reported, when given), or one lone file."""

    sources: tuple[Source, ...]
    only: frozenset[str] | None = None

    @property
    def size(self) -> int:
        return sum(len(s.sql) for s in self.sources)

    @property
    def is_lone_file(self) -> bool:
        """An SQL file not named like a migration: linted on its own, whatever `new_since`."""
        return len(self.sources) == 1 and not self.sources[0].version


class Options(NamedTuple):
    server_version: int
    session: Session
    new_since: str | None = None


def units_for(paths: Sequence[str]) -> list[Unit]:
    """The independent units of work for PATH arguments, in the order given."""
    units: list[Unit] = []
    by_folder: dict[Path, list[str]] = {}
    for path in paths:
        target = Path(path)
        if target.is_dir():
            migrations = [m for m in discovery.discover(target) if not m.is_python]
            units.append(Unit(tuple(_source(m) for m in migrations)))
        elif discovery.FILENAME.match(target.name) and target.parent.is_dir():
            if target.parent not in by_folder:
                by_folder[target.parent] = []
                units.append(Unit((), frozenset()))  # its place in the order; filled below
            by_folder[target.parent].append(path)
        elif target.exists():
            units.append(Unit((_read(path),)))
        else:
            raise discovery.MigrationFileError(
                f"{path}: no such file or folder",
                "check the path; `audifi-db lint` with no PATH checks the migrations not yet "
                "applied to --env",
            )
    folders = iter(by_folder.items())
    return [unit if unit.only is None else _folder_unit(*next(folders)) for unit in units]


def _source(migration) -> Source:
    return Source(str(migration.path), migration.sql, migration.transactional, migration.version)


def _read(path: str, version: str = "") -> Source:
    text = discovery.read_sql(Path(path), path)
    return Source(path, text, discovery.is_transactional(text), version)


def _folder_unit(folder: Path, named: list[str]) -> Unit:
    """The named files, with the migrations before them in their folder as context."""
    wanted = {Path(p).name: p for p in named}
    last = max(discovery.FILENAME.match(name)["version"] for name in wanted)
    sources = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        match = discovery.FILENAME.match(entry.name)
        if not match or match["version"] > last or entry.name.endswith(".py"):
            continue  # a Python migration's SQL is made when it runs
        if entry.name in wanted:
            sources.append(_read(wanted[entry.name], match["version"]))
        else:
            try:
                sources.append(_read(str(Path(folder, entry.name)), match["version"]))
            except discovery.MigrationFileError:
                continue  # context only: the file is reported when it is linted itself
    return Unit(tuple(sources), frozenset(named))


def lint_paths(
    paths: Sequence[str], options: Options, *, workers: int | None = None
) -> list[Finding]:
    """Findings of the files and folders given, in order; no database needed.

    `workers`: processes to use (default: the cores, when the input is large enough)."""
    units = units_for(paths)
    count = workers or _workers_for(units)
    if count < 2 or len(units) < 2:
        return [f for unit in units for f in lint_unit(unit, options)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else None)
    with ProcessPoolExecutor(count, mp_context=context) as pool:
        parts = pool.map(lint_unit, units, [options] * len(units), chunksize=_chunk(units, count))
        return [finding for part in parts for finding in part]


def _workers_for(units: list[Unit]) -> int:
    if sum(unit.size for unit in units) < POOL_MIN_BYTES:
        return 1
    return min(os.cpu_count() or 1, len(units))


def _chunk(units: list[Unit], workers: int) -> int:
    return max(1, len(units) // (workers * 4))


def lint_unit(unit: Unit, options: Options) -> list[Finding]:
    """One unit's findings, its files linted in order over one schema model."""
    schema = SchemaModel(base_session=options.session)
    if unit.is_lone_file:
        [source] = unit.sources
        return lint_source(
            source.path,
            source.sql,
            transactional=source.transactional,
            server_version=options.server_version,
            schema=schema,
        )
    return lint_folder(
        unit.sources,
        options.server_version,
        new_since=options.new_since,
        only=set(unit.only) if unit.only is not None else None,
        schema=schema,
    )


def explain_paths(paths: Sequence[str], options: Options) -> list[tuple[str, list]]:
    """(path, explained statements) for each file reported, each against the schema the
    files before it leave."""
    found = []
    for unit in units_for(paths):
        schema = SchemaModel(base_session=options.session)
        if unit.is_lone_file:
            [source] = unit.sources
            explained = explain_source(
                source.path, source.sql, options.server_version, schema=schema
            )
            found.append((source.path, explained))
            continue
        found += explain_folder(
            unit.sources,
            options.server_version,
            new_since=options.new_since,
            only=unit.only,
            schema=schema,
        )
    return found
