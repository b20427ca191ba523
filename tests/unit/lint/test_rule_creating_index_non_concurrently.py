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


PARTITIONED = "CREATE TABLE events (at date, n int) PARTITION BY RANGE (at);"


def test_a_partitioned_table_gets_the_recipe_it_can_use():
    from lint_helpers import lint_last

    [hit] = lint_last(PARTITIONED, "CREATE INDEX events_n ON events (n);")
    assert "ON ONLY events" in hit.recipe and "ATTACH PARTITION" in hit.recipe
    assert "CONCURRENTLY IF NOT EXISTS events_n ON events" not in hit.recipe
    assert lint_last(PARTITIONED, "CREATE INDEX events_n ON ONLY events (n);") == []
