from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "renaming-table"


def test_rename_table():
    [hit] = assert_lint_errors("ALTER TABLE ipos RENAME TO offerings;", RULE)
    assert "CREATE VIEW ipos AS SELECT * FROM offerings" in hit.recipe


def test_rename_new_table_is_ok():
    assert_lint_ok("CREATE TABLE a (x int); ALTER TABLE a RENAME TO b; CREATE INDEX i ON b (x);")
