from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "adding-unique-constraint"


def test_unique_building_its_index():
    [hit] = assert_lint_errors("ALTER TABLE users ADD CONSTRAINT u_email UNIQUE (email);", RULE)
    assert "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u_email ON users (email)" in hit.recipe


def test_using_index_is_ok():
    assert_lint_ok("ALTER TABLE users ADD CONSTRAINT u_email UNIQUE USING INDEX u_email;")


def test_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (a int); ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);")


def test_unique_column_builds_an_index():
    [hit] = assert_lint_errors("ALTER TABLE users ADD COLUMN handle text UNIQUE;", RULE)
    assert "users_handle_key ON users (handle)" in hit.recipe
