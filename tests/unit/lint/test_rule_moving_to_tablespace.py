import pytest
from lint_helpers import assert_lint_errors, assert_table_age_decides, lint_last

RULE = "moving-to-tablespace"
EVENTS = "CREATE TABLE events (at date);"
INDEX = "CREATE INDEX events_at ON events (at);"
MOVES = ["ALTER TABLE events SET TABLESPACE fast;", "ALTER INDEX events_at SET TABLESPACE fast;"]


def test_moving_tables_and_indexes():
    assert_lint_errors("ALTER TABLE events SET TABLESPACE fast;", RULE)
    assert_lint_errors("ALTER INDEX events_at SET TABLESPACE fast;", RULE)
    assert_lint_errors("ALTER TABLE ALL IN TABLESPACE slow SET TABLESPACE fast;", RULE)


@pytest.mark.parametrize("sql", MOVES)
def test_in_the_file_and_across_files_the_table_s_age_decides(sql):
    """Moving an index locks it ACCESS EXCLUSIVE, and queries on a table lock all its
    indexes while planning: the table's age decides, not the index's."""
    assert_table_age_decides(RULE, EVENTS, INDEX, sql)


def test_moving_a_whole_tablespace_whatever_the_model_knows():
    """The model does not know tablespaces: ALL IN TABLESPACE moves every table there, old
    ones too, so a table created earlier in the run does not make it fine."""
    move_all = "ALTER TABLE ALL IN TABLESPACE slow SET TABLESPACE fast;"
    [hit] = lint_last("CREATE TABLE staging (n int) TABLESPACE slow;", move_all, new=True)
    assert hit.rule == RULE and "new in this run" not in hit.message
