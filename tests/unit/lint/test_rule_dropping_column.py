from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "dropping-column"


def test_drop_column():
    assert_lint_errors("ALTER TABLE users DROP COLUMN legacy;", RULE)


def test_drop_column_of_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (id int, x int); ALTER TABLE t DROP COLUMN x;")


def test_other_alters_are_ok():
    assert_lint_ok("ALTER TABLE users ADD COLUMN bio text;")
