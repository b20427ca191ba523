from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "transaction-control-in-migration"


def test_commit_in_transactional_migration():
    assert_lint_errors("CREATE TABLE t (a int); COMMIT;", RULE)
    assert_lint_errors("BEGIN; CREATE TABLE t (a int);", RULE)


def test_no_transaction_migration_may_group_statements():
    assert_lint_ok("BEGIN; CREATE TABLE IF NOT EXISTS t (a int); COMMIT;", transactional=False)
