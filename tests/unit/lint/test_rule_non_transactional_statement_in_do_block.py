import pytest
from lint_helpers import assert_lint_errors, assert_lint_ok, lint, lint_last

RULE = "non-transactional-statement-in-do-block"
DO = """-- audifi-db: no-transaction
DO $$
BEGIN
  EXECUTE 'CREATE INDEX CONCURRENTLY IF NOT EXISTS tracks_at ON tracks (at)';
END $$;"""


def test_a_concurrent_build_run_by_execute():
    [hit] = assert_lint_errors(DO, RULE, transactional=False)
    assert hit.line == 4 and "cannot be executed from a function" in hit.message
    assert hit.message.startswith("inside the DO block: ")


def test_vacuum_written_out_in_a_do_block():
    assert_lint_errors("DO $$ BEGIN VACUUM tracks; END $$;", RULE)


def test_statements_built_at_run_time_are_not_seen():
    assert_lint_ok("DO $$ BEGIN EXECUTE format('VACUUM %I', 'tracks'); END $$;")


def test_the_do_block_s_other_statements_are_linted_like_any():
    findings = lint("DO $$ BEGIN\n  UPDATE tracks SET n = 0;\nEND $$;")
    assert [(f.rule, f.line) for f in findings] == [("update-or-delete-without-where", 2)]


def test_an_allow_above_the_do_block_acknowledges_what_is_inside():
    [finding] = lint(
        "-- audifi-db: allow update-or-delete-without-where sessions holds 12 rows\n"
        "DO $$ BEGIN\n  DELETE FROM sessions;\nEND $$;"
    )
    assert finding.acknowledged and finding.line == 3


@pytest.mark.parametrize("new", [False, True])
def test_across_files_it_fails_whatever_the_table_s_age(new):
    """Not about locks: the server refuses the statement from a function, so the schema
    model has no say; on a table created earlier in the run it fails all the same."""
    [hit] = lint_last("CREATE TABLE tracks (at date);", DO, new=new)
    assert hit.rule == RULE and "new in this run" not in hit.message
