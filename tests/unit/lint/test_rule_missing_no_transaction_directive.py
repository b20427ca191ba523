from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "missing-no-transaction-directive"


def test_concurrent_index_in_transaction():
    [hit] = assert_lint_errors("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);", RULE)
    assert "-- audifi-db: no-transaction" in hit.recipe
    assert_lint_errors("DROP INDEX CONCURRENTLY IF EXISTS i;", RULE)
    assert_lint_errors("VACUUM t;", RULE)


def test_with_the_directive_is_ok():
    assert_lint_ok("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);", transactional=False)


COMMITTING_DO = "DO $$\nBEGIN\n  UPDATE tracks SET n = 0 WHERE id < 10;\n  COMMIT;\nEND $$;"


def test_a_do_block_that_commits_needs_the_directive():
    [hit] = assert_lint_errors(COMMITTING_DO, "missing-no-transaction-directive")
    assert "DO block that runs COMMIT" in hit.message
    assert "leading comment lines" in hit.recipe
    assert_lint_ok(COMMITTING_DO, transactional=False)
