from lint_helpers import assert_lint_errors, lint, lint_last

RULE = "dropping-database"


def test_dropping_a_database_in_a_no_transaction_migration():
    sql = "-- audifi-db: no-transaction\nDROP DATABASE IF EXISTS audifi_reports WITH (FORCE);"
    [hit] = assert_lint_errors(sql, RULE, transactional=False)
    assert hit.severity == "error" and "audifi_reports" in hit.message and hit.line == 2


def test_in_a_transactional_migration_both_problems_are_reported():
    assert {f.rule for f in lint("DROP DATABASE audifi_reports;")} == {
        RULE,
        "missing-no-transaction-directive",
    }


def test_creating_a_database_or_dropping_other_things_is_not_this_rule():
    found = lint_last(
        "CREATE TABLE plays (id bigint);",
        "-- audifi-db: no-transaction\nCREATE DATABASE scratch;\nDROP TABLE IF EXISTS nothing;",
    )
    assert RULE not in {f.rule for f in found}
