from lint_helpers import assert_lint_errors, assert_lint_ok, lint_last

RULE = "dropping-schema"


def test_dropping_a_schema():
    assert_lint_errors("DROP SCHEMA analytics CASCADE;", RULE)


def test_a_schema_created_in_this_migration_or_run_is_ok():
    assert_lint_ok("CREATE SCHEMA scratch;\nDROP SCHEMA scratch;")
    assert lint_last("CREATE SCHEMA scratch;", "DROP SCHEMA scratch;", new=True) == []
    assert [f.rule for f in lint_last("CREATE SCHEMA scratch;", "DROP SCHEMA scratch;")] == [RULE]
