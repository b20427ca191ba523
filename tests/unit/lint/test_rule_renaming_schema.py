from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "renaming-schema"


def test_renaming_a_schema():
    [hit] = assert_lint_errors("ALTER SCHEMA analytics RENAME TO stats;", RULE)
    assert "CREATE SCHEMA IF NOT EXISTS stats" in hit.recipe


def test_a_schema_created_in_this_migration_is_ok():
    assert_lint_ok("CREATE SCHEMA scratch;\nALTER SCHEMA scratch RENAME TO s2;")
