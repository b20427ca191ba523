from lint_helpers import assert_across_files, assert_lint_errors, assert_lint_ok

RULE = "adding-exclusion-constraint"
EXCLUDE = "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);"


def test_an_exclusion_constraint_on_an_existing_table():
    assert_lint_errors(EXCLUDE, RULE)


def test_a_new_table_is_ok():
    assert_lint_ok("CREATE TABLE bookings (room int, during tstzrange);\n" + EXCLUDE)


def test_across_files_a_table_of_an_applied_migration_is_checked_one_of_this_run_is_not():
    assert_across_files(RULE, "CREATE TABLE bookings (room int, during tstzrange);", EXCLUDE)
