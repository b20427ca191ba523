from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "truncating-table"


def test_truncate():
    assert_lint_errors("TRUNCATE plays;", RULE)


def test_truncate_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (a int); TRUNCATE t;")
