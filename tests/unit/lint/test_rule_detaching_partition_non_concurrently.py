from lint_helpers import assert_across_files, assert_lint_errors, assert_lint_ok, lint_last

RULE = "detaching-partition-non-concurrently"
PARENT = "CREATE TABLE events (at date) PARTITION BY RANGE (at);"
CHILD = (
    "CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');"
)
DETACH = "ALTER TABLE events DETACH PARTITION events_2020;"


def test_plain_detach():
    [hit] = assert_lint_errors(DETACH, RULE)
    assert "CONCURRENTLY" in hit.recipe and hit.severity == "error"
    [old] = assert_lint_errors(DETACH, RULE, server_version=130000)
    assert old.severity == "warning"


def test_concurrent_detach_is_ok():
    assert_lint_ok(
        "-- audifi-db: no-transaction\nALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;",
        transactional=False,
    )


def test_across_files_a_parent_of_an_applied_migration_blocks_one_of_this_run_does_not():
    assert_across_files(RULE, PARENT + CHILD, DETACH)


def test_a_partition_of_this_run_detached_from_an_applied_parent_still_blocks_it():
    """The ACCESS EXCLUSIVE lock is on the parent: the partition's age does not matter."""
    [hit] = lint_last(PARENT, CHILD, DETACH, applied=1)
    assert hit.rule == RULE and "blocks every query on events" in hit.message
