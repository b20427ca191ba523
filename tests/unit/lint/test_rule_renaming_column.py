from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "renaming-column"


def test_rename_column():
    [hit] = assert_lint_errors("ALTER TABLE users RENAME COLUMN name TO full_name;", RULE)
    assert "ADD COLUMN full_name" in hit.recipe


def test_rename_on_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (a int); ALTER TABLE t RENAME COLUMN a TO b;")
