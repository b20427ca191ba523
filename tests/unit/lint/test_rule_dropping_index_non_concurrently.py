from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "dropping-index-non-concurrently"


def test_drop_index():
    [hit] = assert_lint_errors("DROP INDEX IF EXISTS tracks_artist_idx;", RULE)
    assert "DROP INDEX CONCURRENTLY IF EXISTS tracks_artist_idx" in hit.recipe


def test_concurrently_is_ok():
    assert_lint_ok("DROP INDEX CONCURRENTLY IF EXISTS tracks_artist_idx;", transactional=False)


def test_index_created_in_this_migration_is_ok():
    assert_lint_ok("CREATE TABLE t (a int); CREATE INDEX t_a ON t (a); DROP INDEX t_a;")
