from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "creating-index-non-concurrently"


def test_plain_create_index():
    [hit] = assert_lint_errors("CREATE INDEX tracks_artist_idx ON tracks (artist_id);", RULE)
    assert hit.lock == "SHARE on tracks"
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS tracks_artist_idx" in hit.recipe


def test_unique_index_keeps_unique_in_recipe():
    [hit] = assert_lint_errors("CREATE UNIQUE INDEX u ON users (email);", RULE)
    assert "CREATE UNIQUE INDEX CONCURRENTLY" in hit.recipe


def test_concurrently_is_ok():
    assert_lint_ok(
        "-- audifi-db: no-transaction\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON tracks (artist_id);",
        transactional=False,
    )


def test_index_on_new_table_is_ok():
    assert_lint_ok("CREATE TABLE t (a int); CREATE INDEX t_a ON t (a);")
