import pytest
from lint_helpers import assert_lint_errors, assert_lint_ok, assert_table_age_decides

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
def test_in_the_file_and_across_files_the_table_s_age_decides(sql):
    """REINDEX locks the table (SHARE), for REINDEX INDEX the index's table: the table's
    age decides, not the index's."""
    assert_table_age_decides(RULE, TRACKS, INDEX, sql)
