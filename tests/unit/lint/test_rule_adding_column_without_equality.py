from lint_helpers import assert_lint_errors, assert_lint_ok, lint_last

RULE = "adding-column-without-equality"
CREATE = "CREATE TABLE plays (id bigint PRIMARY KEY, meta text);"


def test_adding_a_json_column_to_an_existing_table():
    [hit] = assert_lint_errors("ALTER TABLE plays ADD COLUMN props json;", RULE)
    assert "json has no equality operator" in hit.message and "DISTINCT" in hit.message
    assert hit.recipe == "ALTER TABLE plays ADD COLUMN props jsonb;"
    assert hit.severity == "error" and hit.mark == (1, 30)


def test_arrays_and_other_types_without_equality():
    [hit] = assert_lint_errors("ALTER TABLE plays ADD COLUMN tags pg_catalog.json[];", RULE)
    assert "json[] has no equality operator" in hit.message
    [hit] = assert_lint_errors("ALTER TABLE plays ADD COLUMN doc xml;", RULE)
    assert hit.recipe == "ALTER TABLE plays ADD COLUMN doc text;"
    [hit] = assert_lint_errors("ALTER TABLE plays ADD COLUMN venue point;", RULE)
    assert "a table of its own" in hit.recipe


def test_changing_a_column_to_json():
    [hit] = [
        f
        for f in lint_last(
            CREATE, "ALTER TABLE plays ALTER COLUMN meta TYPE json USING meta::json;"
        )
        if f.rule == RULE
    ]
    assert "plays.meta is json" in hit.message
    assert hit.recipe == "ALTER TABLE plays ALTER COLUMN meta TYPE jsonb;"


def test_a_domain_over_json_from_an_earlier_migration():
    found = lint_last(
        "CREATE DOMAIN payload AS json;", CREATE, "ALTER TABLE plays ADD payload payload;"
    )
    assert [f.rule for f in found] == [RULE]
    assert "public.payload (a domain over json) has no equality" in found[0].message


def test_jsonb_other_types_and_new_tables_are_ok():
    assert_lint_ok("ALTER TABLE plays ADD COLUMN props jsonb, ADD COLUMN n text;")
    assert_lint_ok("CREATE TABLE events (id bigint, payload json);")
    assert_lint_ok("CREATE TABLE events (id bigint);\nALTER TABLE events ADD COLUMN payload json;")
    assert lint_last(CREATE, "ALTER TABLE plays ADD COLUMN props json;", new=True) == []
    assert lint_last("CREATE DOMAIN payload AS jsonb;", "ALTER TABLE plays ADD p payload;") == []
