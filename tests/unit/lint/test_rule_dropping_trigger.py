from lint_helpers import assert_lint_errors, assert_lint_ok, lint_last

RULE = "dropping-trigger"


def test_dropping_a_trigger_of_a_live_table():
    [hit] = assert_lint_errors("DROP TRIGGER touch_updated_at ON tracks;", RULE)
    assert hit.severity == "warning"


def test_replacing_it_or_a_new_table_is_ok():
    assert_lint_ok(
        "DROP TRIGGER IF EXISTS touch ON tracks;\n"
        "CREATE TRIGGER touch BEFORE UPDATE ON tracks FOR EACH ROW EXECUTE FUNCTION touch();"
    )
    create = (
        "CREATE TABLE plays (n int);\n"
        "CREATE TRIGGER t BEFORE INSERT ON plays FOR EACH ROW EXECUTE FUNCTION f();"
    )
    assert lint_last(create, "DROP TRIGGER t ON plays;", new=True) == []
    assert [f.rule for f in lint_last(create, "DROP TRIGGER t ON plays;")] == [RULE]
