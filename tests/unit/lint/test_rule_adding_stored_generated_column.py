from lint_helpers import assert_across_files, assert_lint_errors, assert_lint_ok, lint

RULE = "adding-stored-generated-column"
STORED = "ALTER TABLE tracks ADD COLUMN minutes int GENERATED ALWAYS AS (seconds / 60) STORED;"
VIRTUAL = "ALTER TABLE tracks ADD COLUMN minutes int GENERATED ALWAYS AS (seconds / 60);"


def test_a_stored_generated_column_rewrites():
    [hit] = assert_lint_errors(STORED, RULE)
    assert "trigger" in hit.recipe
    assert [f.rule for f in lint(STORED)] == [RULE]  # not also a "volatile default"


def test_virtual_from_pg18_and_new_tables_are_ok():
    assert_lint_ok(VIRTUAL, server_version=180000)
    assert_lint_errors(VIRTUAL, RULE, server_version=170000)
    assert_lint_ok("CREATE TABLE tracks (seconds int);\n" + STORED)


def test_across_files_a_table_of_an_applied_migration_rewrites_one_of_this_run_does_not():
    assert_across_files(RULE, "CREATE TABLE tracks (seconds int);", STORED)
