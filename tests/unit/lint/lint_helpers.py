"""One-liners for rule tests, in squawk's style: `assert_lint_errors(sql, "rule-id")`."""

from __future__ import annotations

from audifi_db.lint.engine import NEWEST_SERVER_VERSION, lint_source
from audifi_db.lint.model import Finding


def lint(
    sql: str, *, transactional: bool = True, server_version: int = NEWEST_SERVER_VERSION
) -> list[Finding]:
    return lint_source("m.sql", sql, transactional=transactional, server_version=server_version)


def assert_lint_errors(sql: str, rule: str, **options) -> list[Finding]:
    """`rule` reports something on `sql` (unacknowledged); returns those findings."""
    findings = lint(sql, **options)
    hits = [f for f in findings if f.rule == rule and not f.acknowledged]
    assert hits, f"expected {rule}, got {[f.rule for f in findings]}"
    return hits


def assert_lint_ok(sql: str, **options) -> None:
    findings = lint(sql, **options)
    assert findings == [], [f"{f.rule}: {f.message}" for f in findings]
