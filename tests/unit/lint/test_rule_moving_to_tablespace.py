from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "moving-to-tablespace"


def test_moving_tables_and_indexes():
    assert_lint_errors("ALTER TABLE events SET TABLESPACE fast;", RULE)
    assert_lint_errors("ALTER INDEX events_at SET TABLESPACE fast;", RULE)
    assert_lint_errors("ALTER TABLE ALL IN TABLESPACE slow SET TABLESPACE fast;", RULE)


def test_a_new_table_is_ok():
    assert_lint_ok("CREATE TABLE staging (n int);\nALTER TABLE staging SET TABLESPACE fast;")
