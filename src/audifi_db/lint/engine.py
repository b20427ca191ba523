"""The lint engine: SQL text -> findings.

Pure code (the CLI reads the files). For each file: parse with pglast, walk the statements
in order with a `Context` (server version, transaction mode, what earlier statements
created), run the rules registered for each statement kind, then apply allow comments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ..errors import SqlSyntaxError
from ..sql import Statement, parse
from . import locks
from .allow import apply_allows
from .context import Context
from .model import Finding, Hit
from .registry import rules_for
from .rules import syntax_error

NEWEST_SERVER_VERSION = 180000  # pglast 8 parses PostgreSQL 18's grammar


class PendingMigration(Protocol):
    """What `lint_pending` needs of a migration (discovery's `Migration` has it)."""

    path: object
    sql: str
    transactional: bool


def lint_source(
    path: str, text: str, *, transactional: bool, server_version: int = NEWEST_SERVER_VERSION
) -> list[Finding]:
    """Every finding of one migration file, acknowledged ones included."""
    try:
        statements = parse(text, path)
    except SqlSyntaxError as exc:
        return [_syntax_finding(exc)]
    ctx = Context(path, server_version, transactional, statements)
    found: list[tuple[int, Finding]] = []
    for statement in statements:
        for rule in rules_for(statement):
            for hit in rule.check(ctx, statement):
                found.append((statement.index, _finding(rule, hit, statement, ctx)))
        ctx.observe(statement)
    return apply_allows(path, text, statements, found)


def lint_pending(
    migrations: Iterable[PendingMigration], server_version: int = NEWEST_SERVER_VERSION
) -> list[Finding]:
    """Findings of the migrations not yet applied to an environment, in their order."""
    findings: list[Finding] = []
    for migration in migrations:
        findings.extend(
            lint_source(
                str(migration.path),
                migration.sql,
                transactional=migration.transactional,
                server_version=server_version,
            )
        )
    return findings


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The unacknowledged errors: `lint` exits 1 and `deploy` refuses when there are any."""
    return [finding for finding in findings if finding.blocking]


@dataclass(frozen=True)
class Explained:
    """One statement and the locks it takes (`audifi-db lint --explain`)."""

    statement: Statement
    effects: list[locks.LockEffect]


def explain_source(
    path: str, text: str, server_version: int = NEWEST_SERVER_VERSION
) -> list[Explained]:
    """Per statement: the lock level on each relation, and whether it rewrites or scans."""
    return [
        Explained(statement, locks.effects(statement, server_version))
        for statement in parse(text, path)
    ]


def _finding(rule, hit: Hit, statement: Statement, ctx: Context) -> Finding:
    return Finding(
        rule=rule.ID,
        severity=hit.severity or rule.SEVERITY,
        file=ctx.path,
        line=statement.line,
        column=statement.column,
        message=hit.message,
        lock=hit.lock or locks.describe(statement, ctx.server_version),
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
        message=exc.message.split(": ", 1)[-1],
        recipe="-- fix the SQL; nothing else in this file was checked",
    )
