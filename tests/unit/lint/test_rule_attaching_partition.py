from lint_helpers import assert_lint_errors, assert_lint_ok, lint_last

RULE = "attaching-partition"
PARENT = "CREATE TABLE events (at date, n int) PARTITION BY RANGE (at);"
CHILD = "CREATE TABLE events_2026 (at date, n int);"
ATTACH = "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"
PROOF = (
    "-- audifi-db: no-transaction\n"
    "ALTER TABLE events_2026 DROP CONSTRAINT IF EXISTS bound;\n"
    "ALTER TABLE events_2026 ADD CONSTRAINT bound "
    "CHECK (at >= '2026-01-01' AND at < '2027-01-01') NOT VALID;\n"
    "ALTER TABLE events_2026 VALIDATE CONSTRAINT bound;"
)


def test_attaching_an_existing_table_scans_it():
    assert [f.rule for f in lint_last(PARENT, CHILD, ATTACH)] == [RULE]
    assert_lint_errors(ATTACH, RULE)


def test_a_validated_check_on_the_key_from_an_earlier_migration_proves_it():
    assert lint_last(PARENT, CHILD, PROOF, ATTACH) == []


def test_a_partition_created_in_this_run_is_ok():
    assert_lint_ok(PARENT + CHILD + ATTACH)
    assert lint_last(PARENT, CHILD, ATTACH, new=True) == []
