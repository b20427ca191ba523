"""The lint engine: SQL text -> findings, each migration against the schema before it.

Pure code (the CLI reads the files). For each file: parse with pglast, walk the statements
in order (a DO block's statements too) with a `Context` holding the schema model, run the
rules registered for each statement kind, advance the model, then apply allow comments.
One `SchemaModel` carries from file to file, so a folder is replayed once, not once per
file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple, Protocol

from ..errors import SqlSyntaxError
from ..sql import Statement, expand, parse
from . import locks
from .allow import allows_in_unchecked_file, apply_allows
from .context import Context
from .model import Finding, Hit, Severity
from .registry import rules_for
from .rules import syntax_error
from .schema import SchemaModel, is_small

NEWEST_SERVER_VERSION = 180000  # pglast 8 parses PostgreSQL 18's grammar
Estimator = Callable[[str], float | None]  # a write statement -> the rows it touches


if TYPE_CHECKING:  # protocols for the type checker only: creating them costs every CLI call

    class PendingMigration(Protocol):
        """What `lint_pending` needs of a migration (discovery's `Migration` has it)."""

        path: object
        sql: str
        transactional: bool

    class FolderMigration(PendingMigration, Protocol):
        version: str
        is_python: bool


def lint_source(
    path: str,
    text: str,
    *,
    transactional: bool,
    server_version: int = NEWEST_SERVER_VERSION,
    schema: SchemaModel | None = None,
    in_run: bool = True,
    estimate: Estimator | None = None,
) -> list[Finding]:
    """Every finding of one migration file, acknowledged ones included.

    `schema` is what the database holds before the file (empty when None) and is advanced
    past it; `in_run` says whether what the file creates is still new for the files after
    it (pending migrations) or not (as if applied)."""
    schema = SchemaModel() if schema is None else schema
    schema.begin_file(path, in_run=in_run)
    try:
        statements = parse(text, path)
    except SqlSyntaxError as exc:
        return [_syntax_finding(exc), *allows_in_unchecked_file(path, text)]
    ctx = Context(path, server_version, transactional, statements, schema)
    if estimate is not None:
        ctx.estimate = estimate
    found: list[tuple[int, Finding]] = []
    # Statements whose verdict leaned on what an earlier migration of this run created:
    # an allow on one is needed where that migration is applied, so it is not called unused.
    leaned: set[int] = set()
    for top in statements:
        for statement in expand(top):
            schema.leaned_on_run = False
            for rule in rules_for(statement):
                for hit in rule.check(ctx, statement):
                    found.append((statement.index, _finding(rule, hit, statement, ctx)))
            if schema.leaned_on_run:
                leaned.add(statement.index)
            ctx.observe(statement)
    return apply_allows(path, text, statements, found, unjudged=leaned)


def replay_source(path: str, text: str, schema: SchemaModel, *, in_run: bool = False) -> None:
    """Advance `schema` past a file without linting it (a migration already applied)."""
    schema.begin_file(path, in_run=in_run)
    try:
        statements = parse(text, path)
    except SqlSyntaxError:
        return  # linted on its own, it reports the syntax error
    for top in statements:
        for statement in expand(top):
            schema.apply(statement)


def replay_folder(migrations: Iterable[FolderMigration]) -> SchemaModel:
    """The schema `migrations` leave, as applied (Python ones change nothing the model
    can see)."""
    schema = SchemaModel()
    for migration in migrations:
        if not migration.is_python:
            replay_source(str(migration.path), migration.sql, schema)
    return schema


def lint_pending(
    migrations: Iterable[PendingMigration],
    server_version: int = NEWEST_SERVER_VERSION,
    *,
    schema: SchemaModel | None = None,
    estimate: Estimator | None = None,
) -> list[Finding]:
    """Findings of the migrations not yet applied to an environment, in their order, each
    against `schema` (the target's live catalogue, or empty) and the pending migrations
    before it: what those create is new."""
    schema = SchemaModel() if schema is None else schema
    findings: list[Finding] = []
    for migration in migrations:
        findings.extend(
            lint_source(
                str(migration.path),
                migration.sql,
                transactional=migration.transactional,
                server_version=server_version,
                schema=schema,
                estimate=estimate,
            )
        )
    return findings


def lint_folder(
    migrations: Iterable[FolderMigration],
    server_version: int = NEWEST_SERVER_VERSION,
    *,
    new_since: str | None = None,
    only: set[str] | None = None,
    schema: SchemaModel | None = None,
) -> list[Finding]:
    """A folder's migrations in version order, each against what the files before it leave.

    Without `new_since` every file is linted as if the ones before it were applied. With
    it, files older than `new_since` are only replayed, and the others are one run: what one
    creates is new for the next. `only` restricts the report to some paths (the others are
    replayed)."""
    schema = SchemaModel() if schema is None else schema
    findings: list[Finding] = []
    for migration, in_run in _reported(migrations, schema, new_since, only):
        findings.extend(
            lint_source(
                str(migration.path),
                migration.sql,
                transactional=migration.transactional,
                server_version=server_version,
                schema=schema,
                in_run=in_run,
            )
        )
    return findings


def explain_folder(
    migrations: Iterable[FolderMigration],
    server_version: int = NEWEST_SERVER_VERSION,
    *,
    new_since: str | None = None,
    only: set[str] | frozenset[str] | None = None,
    schema: SchemaModel | None = None,
) -> list[tuple[str, list[Explained]]]:
    """`lint_folder`'s walk, explaining instead of linting: (path, its statements explained)
    for each file reported, against the schema the files before it leave."""
    schema = SchemaModel() if schema is None else schema
    explained = []
    for migration, in_run in _reported(migrations, schema, new_since, only):
        path = str(migration.path)
        statements = explain_source(
            path, migration.sql, server_version, schema=schema, in_run=in_run
        )
        explained.append((path, statements))
    return explained


def _reported(migrations, schema: SchemaModel, new_since, only):
    """The migrations to report, each with whether it is part of the run (`new_since`);
    the others are replayed into `schema` on the way."""
    for migration in migrations:
        path = str(migration.path)
        old = new_since is not None and migration.version < new_since
        if old or (only is not None and path not in only):
            replay_source(path, migration.sql, schema, in_run=not old and new_since is not None)
            continue
        yield migration, new_since is not None


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The unacknowledged errors: `lint` exits 1 and `deploy` refuses when there are any."""
    return [finding for finding in findings if finding.blocking]


class Explained(NamedTuple):
    """One statement, the locks it takes and the model facts behind them (`--explain`)."""

    statement: Statement
    effects: list[locks.LockEffect]
    facts: list[str]


def explain_source(
    path: str,
    text: str,
    server_version: int = NEWEST_SERVER_VERSION,
    *,
    schema: SchemaModel | None = None,
    in_run: bool = True,
) -> list[Explained]:
    """Per statement: the lock level on each relation, whether it rewrites or scans, and
    what the model knew."""
    from .facts import facts

    schema = SchemaModel() if schema is None else schema
    schema.begin_file(path, in_run=in_run)
    explained = []
    for top in parse(text, path):
        for statement in expand(top):
            effects = locks.effects(statement, server_version, schema)
            explained.append(
                Explained(statement, effects, facts(statement, schema, server_version))
            )
            schema.apply(statement)
    return explained


def _finding(rule, hit: Hit, statement: Statement, ctx: Context) -> Finding:
    severity = hit.severity or rule.SEVERITY
    message = hit.message
    if hit.table is not None:
        size = hit.table.size()
        if size and size not in message:
            message += f" ({size})"
        if is_small(hit.table) and severity is Severity.ERROR:
            severity = Severity.WARNING
    if statement.inside:
        message = f"inside the DO block: {message}"
    return Finding(
        rule=rule.ID,
        severity=severity,
        file=ctx.path,
        line=statement.line,
        column=statement.column,
        message=message,
        lock=hit.lock or locks.describe(statement, ctx.server_version, ctx.schema),
        recipe=hit.recipe,
        statement=statement.text,
        mark=statement.position_of(hit.at) if hit.at is not None else None,
    )


def _syntax_finding(exc: SqlSyntaxError) -> Finding:
    return Finding(
        rule=syntax_error.ID,
        severity=syntax_error.SEVERITY,
        file=exc.path,
        line=exc.line,
        column=exc.column,
        message=exc.message.split(": ", 1)[-1].removeprefix("syntax error: "),
        recipe="-- fix the SQL; nothing else in this file was checked",
    )
