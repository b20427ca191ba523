from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "missing-no-transaction-directive"


def test_concurrent_index_in_transaction():
    [hit] = assert_lint_errors("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);", RULE)
    assert "-- audifi-db: no-transaction" in hit.recipe
    assert_lint_errors("DROP INDEX CONCURRENTLY IF EXISTS i;", RULE)
    assert_lint_errors("VACUUM t;", RULE)


def test_with_the_directive_is_ok():
    assert_lint_ok("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);", transactional=False)
