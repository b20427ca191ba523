from lint_helpers import assert_lint_errors

RULE = "transaction-control-in-migration"


def test_commit_in_transactional_migration():
    assert_lint_errors("CREATE TABLE t (a int); COMMIT;", RULE)
    assert_lint_errors("BEGIN; CREATE TABLE t (a int);", RULE)


def test_no_transaction_migration_is_refused_too_as_deploy_refuses_it():
    sql = "BEGIN; CREATE TABLE IF NOT EXISTS t (a int); COMMIT;"
    [begin, _commit] = assert_lint_errors(sql, RULE, transactional=False)
    assert "each commit on their own" in begin.message


def test_a_concurrent_build_wrapped_in_begin_commit_of_a_no_transaction_migration():
    [hit, _commit] = assert_lint_errors(
        "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nCOMMIT;",
        "transaction-control-in-migration",
        transactional=False,
    )
    assert hit.message.startswith("CREATE INDEX CONCURRENTLY inside BEGIN … COMMIT fails")
