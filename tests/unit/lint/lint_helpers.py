"""One-liners for rule tests, in squawk's style: `assert_lint_errors(sql, "rule-id")`."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class _Migration:
    path: str
    sql: str
    transactional: bool
    version: str


def lint_last(
    *files: str, new: bool = False, applied: int | None = None, **options
) -> list[Finding]:
    """The findings of the last of several migrations, each linted against what the files
    before it leave: applied (the default) or, with `new`, pending in the same run; with
    `applied=n`, the first n files are applied and the others pending."""
    from audifi_db.discovery import is_transactional
    from audifi_db.lint.engine import lint_folder

    migrations = [
        _Migration(f"{i:014d}_m.sql", sql, is_transactional(sql), f"{i:014d}")
        for i, sql in enumerate(files, start=1)
    ]
    first_new = 0 if new else applied
    new_since = None if first_new is None else migrations[first_new].version
    findings = lint_folder(migrations, new_since=new_since, **options)
    return [f for f in findings if f.file == migrations[-1].path]


def assert_across_files(rule: str, *files: str, **options) -> Finding:
    """Across files: the last of `files` is `rule`'s one finding when the files before it
    are applied (its message not calling the object new), and is fine when they are pending
    in the same run (what they create is new: nobody uses it yet). Returns the finding."""
    findings = lint_last(*files, **options)
    assert [f.rule for f in findings] == [rule], [f"{f.rule}: {f.message}" for f in findings]
    assert "new in this run" not in findings[0].message
    new = lint_last(*files, new=True, **options)
    assert new == [], [f"{f.rule}: {f.message}" for f in new]
    return findings[0]


def assert_table_age_decides(rule: str, table: str, index: str, sql: str) -> None:
    """`sql` acts on the table `table` creates or on the index `index` builds on it: fine
    when the table is created earlier in the same file or run, `rule`'s finding when it
    comes from an applied migration, even when the index was built in this run."""
    assert_lint_ok(f"{table}\n{index}\n{sql}")
    assert_across_files(rule, table + index, sql)
    findings = lint_last(table, index, sql, applied=1)
    assert [f.rule for f in findings] == [rule], [f"{f.rule}: {f.message}" for f in findings]
