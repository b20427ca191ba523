from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "dropping-table"


def test_drop_table():
    assert_lint_errors("DROP TABLE old_sessions;", RULE)
    assert_lint_errors("DROP TABLE IF EXISTS public.old_sessions;", RULE)


def test_drop_view_and_new_table_are_ok():
    assert_lint_ok("DROP VIEW IF EXISTS report;")
    assert_lint_ok("CREATE TABLE scratch (a int); DROP TABLE scratch;")
