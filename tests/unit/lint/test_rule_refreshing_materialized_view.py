from lint_helpers import assert_lint_errors, assert_lint_ok, lint_last

RULE = "refreshing-materialized-view"


def test_plain_refresh():
    [hit] = assert_lint_errors("REFRESH MATERIALIZED VIEW daily_plays;", RULE)
    assert "CONCURRENTLY" in hit.recipe


def test_concurrent_refresh_and_a_new_view_are_ok():
    assert_lint_ok("REFRESH MATERIALIZED VIEW CONCURRENTLY daily_plays;")
    assert_lint_ok(
        "CREATE MATERIALIZED VIEW daily_plays AS SELECT 1 AS n;\n"
        "REFRESH MATERIALIZED VIEW daily_plays;"
    )


def test_a_view_made_by_an_applied_migration_is_not_new():
    create = "CREATE MATERIALIZED VIEW daily_plays AS SELECT 1 AS n;"
    assert [f.rule for f in lint_last(create, "REFRESH MATERIALIZED VIEW daily_plays;")] == [RULE]
