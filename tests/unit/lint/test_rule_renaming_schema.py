from lint_helpers import assert_across_files, assert_lint_errors, assert_lint_ok

RULE = "renaming-schema"


def test_renaming_a_schema():
    [hit] = assert_lint_errors("ALTER SCHEMA analytics RENAME TO stats;", RULE)
    assert "CREATE SCHEMA IF NOT EXISTS stats" in hit.recipe


def test_a_schema_created_in_this_migration_is_ok():
    assert_lint_ok("CREATE SCHEMA scratch;\nALTER SCHEMA scratch RENAME TO s2;")


def test_across_files_a_schema_of_an_applied_migration_breaks_names_one_of_this_run_does_not():
    assert_across_files(RULE, "CREATE SCHEMA analytics;", "ALTER SCHEMA analytics RENAME TO stats;")


def test_a_schema_of_this_run_is_still_new_under_its_new_name():
    create, rename = "CREATE SCHEMA scratch;", "ALTER SCHEMA scratch RENAME TO s2;"
    assert_across_files(RULE, create, rename, "ALTER SCHEMA s2 RENAME TO s3;")
    assert_lint_ok(f"{create}\n{rename}\nALTER SCHEMA s2 RENAME TO s3;")
