from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "detaching-partition-non-concurrently"


def test_plain_detach():
    [hit] = assert_lint_errors("ALTER TABLE events DETACH PARTITION events_2020;", RULE)
    assert "CONCURRENTLY" in hit.recipe and hit.severity == "error"
    [old] = assert_lint_errors(
        "ALTER TABLE events DETACH PARTITION events_2020;", RULE, server_version=130000
    )
    assert old.severity == "warning"


def test_concurrent_detach_is_ok():
    assert_lint_ok(
        "-- audifi-db: no-transaction\nALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;",
        transactional=False,
    )
