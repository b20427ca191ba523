from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "changing-column-type"


def test_int_to_bigint_rewrites():
    [hit] = assert_lint_errors("ALTER TABLE tracks ALTER COLUMN duration_ms TYPE bigint;", RULE)
    assert "ADD COLUMN duration_ms_new bigint" in hit.recipe


def test_using_rewrites():
    assert_lint_errors("ALTER TABLE t ALTER COLUMN a TYPE text USING a::text;", RULE)


def test_widening_varchar_and_to_text_do_not_rewrite():
    assert_lint_ok("ALTER TABLE users ALTER COLUMN name TYPE varchar(300);")
    assert_lint_ok("ALTER TABLE users ALTER COLUMN name TYPE text;")
    assert_lint_ok("ALTER TABLE ipos ALTER COLUMN price TYPE numeric(20, 8);")


def test_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (a int); ALTER TABLE t ALTER COLUMN a TYPE bigint;")
