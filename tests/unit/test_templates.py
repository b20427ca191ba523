"""`new --template`: each strategy's migrations, in order, each parsing and lint-clean; bad
requests refused naming the flag. No server (tests/db/test_templates_deploy.py deploys them)."""

from __future__ import annotations

import pytest

from audifi_db.errors import ConfigError
from audifi_db.lint.engine import blocking, lint_pending
from audifi_db.lint.schema import SchemaModel
from audifi_db.model import Migration
from audifi_db.planning import python_entry
from audifi_db.templates import Request, drafts

REQUESTS = {
    "add-required-column": Request(
        "add-required-column", table="tracks", column="popularity", type="bigint", default="0"
    ),
    "rename-column": Request(
        "rename-column", table="tracks", from_="plays", to="play_count", type="bigint"
    ),
    "rename-column contract": Request(
        "rename-column",
        table="tracks",
        from_="plays",
        to="play_count",
        type="bigint",
        phase="contract",
    ),
    "change-column-type": Request(
        "change-column-type", table="public.tracks", column="duration_ms", type="bigint"
    ),
    "drop-column": Request("drop-column", table="tracks", column="legacy"),
}
STEPS = {
    "add-required-column": [
        "add_column.sql",
        "backfill.py",
        "add_check.sql",
        "validate_check.sql",
        "set_not_null.sql",
        "drop_check.sql",
    ],
    "rename-column": ["add_play_count.sql", "sync_trigger.sql", "backfill.py"],
    "rename-column contract": ["drop_plays.sql"],
    "change-column-type": [
        "add_duration_ms_new.sql",
        "sync_trigger.sql",
        "backfill.py",
        "swap.sql",
    ],
    "drop-column": ["drop_legacy.sql"],
}


@pytest.mark.parametrize("which", list(REQUESTS))
def test_each_step_is_its_own_lint_clean_migration(which):
    made = drafts(REQUESTS[which])
    assert [d.step + d.suffix for d in made] == STEPS[which]
    migrations = [
        Migration(
            f"2026010100000{i}",
            d.step,
            f"db/migrations/2026010100000{i}_{d.step}{d.suffix}",
            "",
            d.text,
        )
        for i, d in enumerate(made)
    ]
    for migration in migrations:
        if migration.is_python:
            python_entry(migration)
    sql = [m for m in migrations if not m.is_python]
    # linted as `lint` lints what is pending: each against the steps before it
    findings = lint_pending(sql, schema=SchemaModel())
    assert not blocking(findings), [f.message for f in findings]
    assert all(f.acknowledged for f in findings), [(f.rule, f.message) for f in findings]


def test_the_required_columns_backfill_uses_the_backfill_value_and_the_default_for_new_rows():
    request = Request(
        "add-required-column",
        table="tracks",
        column="pop",
        type="int",
        default="0",
        backfill="plays / 10",
    )
    add, backfill, *_ = drafts(request)
    assert add.text.endswith(
        "ALTER TABLE tracks ADD COLUMN pop int;\nALTER TABLE tracks ALTER COLUMN pop SET DEFAULT 0;\n"
    )
    assert 'set="pop = plays / 10",\n        where="pop IS NULL",' in backfill.text


@pytest.mark.parametrize(
    "request_, message",
    [
        (Request("rename-column", table="t", from_="a"), "rename-column needs --to, --type"),
        (Request("drop-column", table="t", column="c", type="int"), "--type does not apply"),
        (
            Request("add-required-column", table="t", column="c", type="int"),
            "needs the value existing rows get: --default EXPR",
        ),
        (Request("drop-column", table="T", column="c"), "--table 'T' is not a plain lower-case"),
        (Request("drop-column", table="t", column="c; drop"), "--column 'c; drop' is not"),
        (
            Request("change-column-type", table="t", column="c", type="big int("),
            r"step 1 would not parse: add_c_new.sql:\d+:\d+: syntax error",
        ),
        (
            Request("add-required-column", table="t", column="c", type="int", backfill="1 +"),
            "step 2 would not parse: backfill.py",
        ),
    ],
)
def test_a_bad_request_is_refused_naming_what_to_fix(request_, message):
    with pytest.raises(ConfigError, match=message):
        drafts(request_)
