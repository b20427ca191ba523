from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "reindexing-non-concurrently"


def test_reindex():
    [hit] = assert_lint_errors("REINDEX TABLE tracks;", RULE)
    assert "REINDEX TABLE CONCURRENTLY tracks" in hit.recipe
    assert_lint_errors("REINDEX INDEX tracks_pkey;", RULE)


def test_concurrently_is_ok():
    assert_lint_ok("REINDEX TABLE CONCURRENTLY tracks;", transactional=False)
