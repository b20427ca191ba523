from lint_helpers import assert_lint_errors, assert_lint_ok

RULE = "dropping-with-cascade"


def test_drop_cascade():
    assert_lint_errors("DROP TYPE mood CASCADE;", RULE)
    assert_lint_errors("ALTER TABLE users DROP CONSTRAINT users_fk CASCADE;", RULE)


def test_drop_without_cascade_is_ok():
    assert_lint_ok("DROP TYPE IF EXISTS mood;")
    assert_lint_ok("DROP FUNCTION IF EXISTS f();")


def test_cascade_on_a_table_created_in_the_same_file_is_ok():
    assert_lint_ok("CREATE TABLE scratch (id int);\nDROP TABLE scratch CASCADE;")
