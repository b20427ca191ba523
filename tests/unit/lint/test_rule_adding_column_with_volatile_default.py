from lint_helpers import assert_lint_errors, assert_lint_ok, lint

RULE = "adding-column-with-volatile-default"


def test_volatile_defaults():
    assert_lint_errors("ALTER TABLE t ADD COLUMN x bigint DEFAULT (random() * 10)::bigint;", RULE)
    assert_lint_errors("ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();", RULE)
    assert_lint_errors("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp();", RULE)


def test_a_stored_generated_column_is_its_own_rule():
    generated = lint("ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a + 1) STORED;")
    assert [f.rule for f in generated] == ["adding-stored-generated-column"]


def test_constant_and_stable_defaults_are_ok_from_pg11():
    assert_lint_ok("ALTER TABLE t ADD COLUMN x int NOT NULL DEFAULT 0;")
    assert_lint_ok("ALTER TABLE t ADD COLUMN s text DEFAULT 'pending';")
    assert_lint_ok("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now();")
    assert_lint_ok("ALTER TABLE t ADD COLUMN d date DEFAULT CURRENT_DATE;")


def test_any_default_rewrites_before_pg11():
    assert_lint_errors(
        "ALTER TABLE t ADD COLUMN x int NOT NULL DEFAULT 0;", RULE, server_version=100000
    )
    assert_lint_ok("ALTER TABLE t ADD COLUMN x int DEFAULT NULL;", server_version=100000)


def test_new_table_is_ok():
    assert_lint_ok(
        "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();"
    )
