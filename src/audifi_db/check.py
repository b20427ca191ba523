"""`check`: everything a pull request's migrations must pass before they are merged.

Against the base branch (git facts from `gitfacts`, the comparison in pure `branches`):
no edited, deleted or renamed migration, no two with one version, every new one newer than
the base branch's newest. The new and changed migrations are linted and their locks
explained; then every migration is applied from empty to a throwaway database on the
configured server, which must end in sync and valid, and is dropped whatever happens.
Returns a CheckReport; never prints.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from . import branches, discovery, events, gitfacts
from .config import Settings
from .errors import GuardRefusedError, MigrationFailedError, MigrationFileError, PlanError
from .model import Migration


@dataclass(frozen=True)
class Applied:
    version: str
    name: str
    duration_ms: int


@dataclass(frozen=True)
class ApplyResult:
    """Every migration applied from empty to the throwaway database, and what it says after."""

    database: str
    applied: tuple[Applied, ...] = ()
    error: str | None = None
    failed_at: tuple[str, int] | None = None  # (file, line) of the failing statement
    in_sync: bool = False
    invalid: tuple[str, ...] = ()  # validate's changed or missing migrations

    @property
    def ok(self) -> bool:
        return self.error is None and self.in_sync and not self.invalid


@dataclass(frozen=True)
class StatementLocks:
    file: str
    line: int
    statement: str
    locks: tuple[str, ...]  # e.g. "ACCESS EXCLUSIVE on users (rewrites the table)"


@dataclass(frozen=True)
class CheckReport:
    base: gitfacts.Base
    to_run: tuple[Migration, ...]  # new or changed since the base, in the order they run
    problems: tuple[branches.Problem, ...]
    findings: tuple  # lint findings of `to_run`
    locks: tuple[StatementLocks, ...]
    apply: ApplyResult
    timings_ms: dict[str, int] = field(default_factory=dict)

    @property
    def blocking(self) -> list:
        from .lint.engine import blocking

        return blocking(self.findings)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.blocking and self.apply.ok


def check(
    settings: Settings, base_ref: str | None = None, *, now: datetime | None = None
) -> CheckReport:
    """Compare with the base branch, lint, apply to a throwaway database: a CheckReport."""
    from .operations import database_url, refuse_protected

    refuse_protected(settings, "check")
    timings: dict[str, int] = {}
    began = time.perf_counter()
    with _timed(timings, "compare"):
        base, at_fork, at_tip = _base_side(settings, base_ref)
        head = discovery.read_folder(settings.migrations.dir)
        fork_entries, head_entries = _entries(at_fork), _entries(head)
        problems = [
            _at_first_edit(problem, at_fork, head)
            for problem in branches.compare(
                fork_entries,
                head_entries,
                now=now or datetime.now(UTC),
                base_ref=base.ref,
                tip=_entries(at_tip),
            )
        ]
        changed = {e.path for e in branches.changed_since(fork_entries, head_entries)}
        to_run = tuple(m for m in sorted(head, key=_order) if m.path in changed)
    from .postgres.scratch import scratch_database

    with scratch_database(database_url(settings)) as scratch:
        version = settings.lint.server_version or scratch.server_version
        with _timed(timings, "lint"):
            findings, locks = _lint(head, to_run, version)
        with _timed(timings, "apply"):
            applied = _apply(_throwaway(settings, scratch.url), scratch.name)
    timings["total"] = _ms(began)
    return CheckReport(base, to_run, tuple(problems), tuple(findings), locks, applied, timings)


def _order(migration: Migration) -> tuple[str, str]:
    return (migration.version, migration.name)


def _entries(migrations: list[Migration]) -> list[branches.Entry]:
    return [branches.Entry(m.path, m.version, m.name, m.checksum) for m in migrations]


def _base_side(settings: Settings, ref: str | None):
    """The base (ref, tip, fork point) and its migrations at the fork point and at the tip."""
    root = settings.project_root
    base = gitfacts.resolve_base(root, ref)
    at_fork = _migrations_at(root, base.fork_point, settings)
    at_tip = at_fork if base.tip == base.fork_point else _migrations_at(root, base.tip, settings)
    return base, at_fork, at_tip


def _migrations_at(root, commit: str, settings: Settings) -> list[Migration]:
    """The migrations in the migrations folder at `commit`, named as head's paths are."""
    shown = discovery.display_path(settings.migrations.dir)
    found = []
    for filename, data in sorted(gitfacts.files_at(root, commit, settings.migrations.dir).items()):
        if not discovery.is_migration_name(filename):
            continue
        path = f"{shown}/{filename}"
        try:
            found.append(
                discovery.migration_from_text(filename, discovery.decode_sql(data, path), path)
            )
        except MigrationFileError:
            continue  # a broken file on the base branch is not this branch's problem
    return found


def _at_first_edit(problem: branches.Problem, base: list[Migration], head: list[Migration]):
    """An edit's annotation goes on its first edited line."""
    if problem.kind is not branches.Kind.EDITED:
        return problem
    old = next(m.sql for m in base if m.path == problem.path)
    new = next(m.sql for m in head if m.path == problem.path)
    return replace(problem, line=branches.first_difference(old, new))


def _lint(head: list[Migration], to_run: tuple[Migration, ...], server_version: int):
    """Findings of `to_run`, each against what the migrations before it leave (the new ones
    as one run, as they will deploy), and the locks of each of their statements."""
    from .lint.engine import explain_folder, lint_folder

    head = sorted((m for m in head if not m.is_python), key=_order)  # Python makes its SQL
    new_since = min((m.version for m in to_run if not m.is_python), default=None)
    reported = {m.path for m in to_run if not m.is_python}
    findings = lint_folder(head, server_version, new_since=new_since, only=reported)
    unparsable = {f.file for f in findings if f.rule == "syntax-error"}  # lint reports them
    explained = explain_folder(
        head, server_version, new_since=new_since, only=reported - unparsable
    )
    locks = tuple(_statement_locks(path, e) for path, statements in explained for e in statements)
    return findings, locks


def _statement_locks(path: str, explained) -> StatementLocks:
    first_line = explained.statement.text.strip().splitlines()[0]
    return StatementLocks(
        path,
        explained.statement.line,
        first_line,
        tuple(_describe(effect) for effect in explained.effects),
    )


def _describe(effect) -> str:
    """`ACCESS EXCLUSIVE on users (rewrites the table)`, as `lint --explain` says it."""
    if effect.rewrite:
        return f"{effect.describe()} (rewrites the table)"
    if effect.scan:
        return f"{effect.describe()} (scans the table)"
    return effect.describe()


class _Recorder:
    """A listener keeping the run's events (the Fanout has delivered them all when the
    operation returns or raises)."""

    def __init__(self) -> None:
        self.events: list[events.Event] = []

    def on_event(self, event: events.Event) -> None:
        self.events.append(event)


def _throwaway(settings: Settings, url: str) -> Settings:
    """The settings of a run on the throwaway database: no policy, no gate, no backup."""
    backup = settings.backup._replace(before_deploy=False)
    return settings._replace(database_url=url, protected=False, requires="", backup=backup)


def _apply(settings: Settings, database: str) -> ApplyResult:
    """Deploy everything to the throwaway database, then ask status and validate about it."""
    from . import operations

    recorder = _Recorder()
    try:
        operations.deploy(settings, [recorder], command="check")
    except (MigrationFailedError, MigrationFileError, PlanError, GuardRefusedError) as error:
        # a verdict on the migrations; anything else (the server went away, a setting) is not
        failed = next((e for e in recorder.events if isinstance(e, events.MigrationFailed)), None)
        return ApplyResult(
            database,
            _applied(recorder),
            error=error.message,
            failed_at=(failed.path, failed.line) if failed else None,
        )
    report = operations.status(settings)
    invalid = operations.validate(settings)
    return ApplyResult(
        database,
        _applied(recorder),
        in_sync=report.in_sync,
        invalid=tuple(f"{i.version}_{i.name}: {i.state.value}" for i in invalid),
    )


def _applied(recorder: _Recorder) -> tuple[Applied, ...]:
    return tuple(
        Applied(e.version, e.name, e.duration_ms)
        for e in recorder.events
        if isinstance(e, events.MigrationApplied)
    )


@contextmanager
def _timed(timings: dict[str, int], stage: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = _ms(began)


def _ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)
