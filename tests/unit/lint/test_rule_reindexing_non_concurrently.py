import pytest
from lint_helpers import assert_across_files, assert_lint_errors, assert_lint_ok, lint_last

RULE = "reindexing-non-concurrently"
TRACKS = "CREATE TABLE tracks (at date);"
INDEX = "CREATE INDEX tracks_at ON tracks (at);"
REINDEX = ["REINDEX TABLE tracks;", "REINDEX INDEX tracks_at;"]


def test_reindex():
    [hit] = assert_lint_errors("REINDEX TABLE tracks;", RULE)
    assert "REINDEX TABLE CONCURRENTLY tracks" in hit.recipe
    assert_lint_errors("REINDEX INDEX tracks_pkey;", RULE)


def test_concurrently_is_ok():
    assert_lint_ok("REINDEX TABLE CONCURRENTLY tracks;", transactional=False)


@pytest.mark.parametrize("sql", REINDEX)
def test_a_new_table_or_an_index_of_one_is_ok(sql):
    assert_lint_ok(f"{TRACKS}\n{INDEX}\n{sql}")


@pytest.mark.parametrize("sql", REINDEX)
def test_across_files_a_table_of_an_applied_migration_blocks_one_of_this_run_does_not(sql):
    assert_across_files(RULE, TRACKS + INDEX, sql)


def test_an_index_built_in_this_run_on_an_applied_table_still_blocks_its_writes():
    """REINDEX INDEX locks the index's table (SHARE): the table's age decides."""
    [hit] = lint_last(TRACKS, INDEX, "REINDEX INDEX tracks_at;", applied=1)
    assert hit.rule == RULE
