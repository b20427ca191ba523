from lint_helpers import assert_lint_errors, assert_lint_ok, lint_last

RULE = "renaming-enum-value"


def test_renaming_a_value():
    assert_lint_errors("ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';", RULE)


def test_an_enum_created_in_this_run_is_ok():
    create = "CREATE TYPE mood AS ENUM ('sad');"
    assert_lint_ok(create + "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';")
    assert lint_last(create, "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';", new=True) == []
