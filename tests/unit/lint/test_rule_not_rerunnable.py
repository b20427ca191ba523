from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "not-rerunnable"
NO_TX = {"transactional": False}


def test_concurrent_index_without_if_not_exists():
    assert_lint_errors("CREATE INDEX CONCURRENTLY i ON tracks (a);", RULE, **NO_TX)


def test_add_column_without_if_not_exists_in_no_transaction_migration():
    assert_lint_errors("ALTER TABLE users ADD COLUMN bio text;", RULE, **NO_TX)
    assert_lint_errors("DROP INDEX CONCURRENTLY i;", RULE, **NO_TX)


def test_guarded_forms_are_ok():
    assert_lint_ok("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON tracks (a);", **NO_TX)
    assert_lint_ok("ALTER TABLE users ADD COLUMN IF NOT EXISTS bio text;", **NO_TX)
    assert_lint_ok("DROP INDEX CONCURRENTLY IF EXISTS i;", **NO_TX)


def test_transactional_migration_rolls_back_so_is_ok():
    assert_lint_ok("CREATE TABLE t (a int);")


def test_enum_value_without_if_not_exists_in_no_transaction_migration():
    assert_lint_errors("ALTER TYPE mood ADD VALUE 'x';", RULE, transactional=False)
    assert_lint_ok("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'x';", transactional=False)


def test_add_constraint_needs_a_drop_if_exists_before_it_in_no_transaction_migration():
    add = "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;"
    assert_lint_errors(add, RULE, transactional=False)
    assert_lint_ok("ALTER TABLE t DROP CONSTRAINT IF EXISTS c;\n" + add, transactional=False)


def test_the_recipes_are_rerunnable():
    from audifi_db.lint import recipes

    migration_3 = recipes.not_null("users", "email").split("\n", 1)[1]
    assert_lint_ok(migration_3, transactional=False)
