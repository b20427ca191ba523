from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "setting-table-logged"


def test_switching_persistence_rewrites():
    assert_lint_errors("ALTER TABLE events SET UNLOGGED;", RULE)
    assert_lint_errors("ALTER TABLE events SET LOGGED;", RULE)


def test_a_new_table_is_ok():
    assert_lint_ok("CREATE UNLOGGED TABLE staging (n int);\nALTER TABLE staging SET LOGGED;")
