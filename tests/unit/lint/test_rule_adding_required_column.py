from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "adding-required-column"


def test_not_null_without_default():
    assert_lint_errors("ALTER TABLE users ADD COLUMN plan text NOT NULL;", RULE)


def test_recipe_is_the_three_migrations():
    [hit] = assert_lint_errors("ALTER TABLE users ADD COLUMN plan text NOT NULL;", RULE)
    assert "ALTER TABLE users ADD COLUMN plan text;" in hit.recipe
    assert 'ctx.backfill("users", set="plan = <value>", where="plan IS NULL")' in hit.recipe
    assert "--template add-required-column --table users --column plan" in hit.recipe
    assert "CHECK (plan IS NOT NULL) NOT VALID" in hit.recipe
    assert "SET NOT NULL" in hit.recipe
    assert hit.lock == "ACCESS EXCLUSIVE on users"


def test_nullable_and_constant_default_are_ok():
    assert_lint_ok("ALTER TABLE users ADD COLUMN plan text;")
    assert_lint_ok("ALTER TABLE users ADD COLUMN plays int NOT NULL DEFAULT 0;")
    assert_lint_ok("ALTER TABLE users ADD COLUMN seen timestamptz NOT NULL DEFAULT now();")


def test_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN plan text NOT NULL;")


def test_default_null_is_no_default():
    assert_lint_errors("ALTER TABLE users ADD COLUMN c text NOT NULL DEFAULT NULL;", RULE)
