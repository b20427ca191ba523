from dataclasses import dataclass

from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "update-or-delete-without-where"


def test_whole_table_update_and_delete():
    [hit] = assert_lint_errors("UPDATE tracks SET popularity = plays / 10;", RULE)
    assert 'ctx.backfill("tracks", set="…", where="<not yet done>")' in hit.recipe
    [hit] = assert_lint_errors("DELETE FROM sessions;", RULE)
    assert (
        '"DELETE FROM sessions WHERE ctid IN (SELECT ctid FROM sessions WHERE <not yet done> '
        'LIMIT 10000)"'
    ) in hit.recipe


def test_with_where_is_ok():
    assert_lint_ok("UPDATE tracks SET popularity = 0 WHERE id = 1;")
    assert_lint_ok("DELETE FROM sessions WHERE ended_at < now() - interval '1 year';")


def test_seed_rows_of_new_table_are_ok():
    assert_lint_ok(
        "CREATE TABLE plans (n text); INSERT INTO plans VALUES ('free'); UPDATE plans SET n = 'x';"
    )


def test_constant_predicate_matches_every_row():
    [hit] = assert_lint_errors("UPDATE tracks SET popularity = 0 WHERE true;", RULE)
    assert "constant WHERE" in hit.message
    assert_lint_errors("DELETE FROM sessions WHERE 1 = 1;", RULE)


def test_backfill_of_a_column_added_in_this_run_matches_every_row():
    [hit] = assert_lint_errors(
        "ALTER TABLE tracks ADD COLUMN score int;\nUPDATE tracks SET score = 0 WHERE score IS NULL;",
        RULE,
    )
    assert "backfill" in hit.message and "score" in hit.message


def test_backfill_in_a_later_pending_migration_too():
    from audifi_db.lint.engine import lint_pending

    first = Pending("1.sql", "ALTER TABLE tracks ADD COLUMN score int;")
    second = Pending("2.sql", "UPDATE tracks SET score = 0 WHERE score IS NULL;")
    assert [f.rule for f in lint_pending([first, second])] == [RULE]


def test_predicate_on_an_old_column_is_ok():
    assert_lint_ok(
        "ALTER TABLE tracks ADD COLUMN score int;\n"
        "UPDATE tracks SET score = 0 WHERE score IS NULL AND id < 1000;"
    )


def test_the_planner_estimate_decides_when_given():
    from audifi_db.lint.engine import lint_source, replay_source
    from audifi_db.lint.schema import SchemaModel

    sql = "UPDATE tracks SET popularity = 0 WHERE popularity IS NULL;"
    schema = SchemaModel()
    replay_source("old.sql", "CREATE TABLE tracks (id int, popularity int);", schema)
    big = lint_source(
        "m.sql", sql, transactional=True, schema=schema.snapshot(), estimate=lambda _: 2e6
    )
    assert [f.rule for f in big] == [RULE] and "2,000,000 rows" in big[0].message
    small = lint_source(
        "m.sql", sql, transactional=True, schema=schema.snapshot(), estimate=lambda _: 40
    )
    assert small == []


@dataclass
class Pending:
    path: str
    sql: str
    transactional: bool = True
