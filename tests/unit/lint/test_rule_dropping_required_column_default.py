from lint_helpers import assert_lint_ok, lint_last

RULE = "dropping-required-column-default"
CREATE = "CREATE TABLE plays (id int, source text NOT NULL DEFAULT 'app', note text DEFAULT '');"


def test_dropping_the_default_of_a_not_null_column_of_an_earlier_migration():
    [hit] = lint_last(CREATE, "ALTER TABLE plays ALTER COLUMN source DROP DEFAULT;")
    assert hit.rule == RULE and "plays.source is NOT NULL" in hit.message


def test_nullable_unknown_or_new_columns_are_ok():
    assert lint_last(CREATE, "ALTER TABLE plays ALTER COLUMN note DROP DEFAULT;") == []
    assert_lint_ok("ALTER TABLE plays ALTER COLUMN source DROP DEFAULT;")  # unknown column
    assert lint_last(CREATE, "ALTER TABLE plays ALTER COLUMN source DROP DEFAULT;", new=True) == []
