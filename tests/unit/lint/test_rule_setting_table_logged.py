import pytest
from lint_helpers import assert_across_files, assert_lint_errors, assert_lint_ok

RULE = "setting-table-logged"


def test_switching_persistence_rewrites():
    assert_lint_errors("ALTER TABLE events SET UNLOGGED;", RULE)
    assert_lint_errors("ALTER TABLE events SET LOGGED;", RULE)


def test_a_new_table_is_ok():
    assert_lint_ok("CREATE UNLOGGED TABLE staging (n int);\nALTER TABLE staging SET LOGGED;")


@pytest.mark.parametrize(
    "create, switch",
    [
        ("CREATE TABLE events (n int);", "ALTER TABLE events SET UNLOGGED;"),
        ("CREATE UNLOGGED TABLE staging (n int);", "ALTER TABLE staging SET LOGGED;"),
    ],
)
def test_across_files_a_table_of_an_applied_migration_rewrites_one_of_this_run_does_not(
    create, switch
):
    assert_across_files(RULE, create, switch)
