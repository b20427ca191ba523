from lint_helpers import assert_across_files, assert_lint_errors, assert_lint_ok

RULE = "disabling-trigger"


def test_disabling_a_trigger():
    assert_lint_errors("ALTER TABLE tracks DISABLE TRIGGER touch;", RULE)
    assert_lint_errors("ALTER TABLE tracks DISABLE TRIGGER ALL;", RULE)


def test_disabled_and_enabled_again_in_one_transaction_is_ok():
    sql = (
        "ALTER TABLE tracks DISABLE TRIGGER touch;\n"
        "UPDATE tracks SET n = 0 WHERE id = 1;\n"
        "ALTER TABLE tracks ENABLE TRIGGER touch;"
    )
    assert_lint_ok(sql)
    assert_lint_errors(sql, RULE, transactional=False)  # each statement commits alone


def test_across_files_a_table_of_an_applied_migration_loses_writes_one_of_this_run_does_not():
    create = (
        "CREATE TABLE tracks (n int);\n"
        "CREATE TRIGGER touch BEFORE UPDATE ON tracks FOR EACH ROW EXECUTE FUNCTION touch();"
    )
    assert_across_files(RULE, create, "ALTER TABLE tracks DISABLE TRIGGER touch;")
