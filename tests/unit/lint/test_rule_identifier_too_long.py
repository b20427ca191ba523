from lint_helpers import assert_lint_errors, assert_lint_ok, lint_last

from audifi_db.lint.rules.identifier_too_long import truncated

RULE = "identifier-too-long"
LONG = "plays_by_listener_and_track_and_day_for_the_royalty_statements_v2"  # 65 bytes


def test_a_table_name_longer_than_63_bytes():
    [hit] = assert_lint_errors(f"CREATE TABLE {LONG} (id bigint);", RULE)
    assert hit.severity == "warning" and hit.mark == (1, 14)
    assert f'65 bytes and PostgreSQL keeps the first 63: it is "{LONG[:63]}"' in hit.message


def test_index_column_constraint_and_renamed_names():
    assert_lint_errors(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {LONG} ON plays (id);", RULE, transactional=False
    )
    [hit] = assert_lint_errors(f'CREATE TABLE plays (id bigint,\n  "{LONG.upper()}" int);', RULE)
    assert hit.mark == (2, 3) and LONG.upper()[:63] in hit.message
    assert_lint_errors(f"ALTER TABLE plays ADD CONSTRAINT {LONG} CHECK (id > 0) NOT VALID;", RULE)
    assert_lint_errors(f"ALTER TABLE plays ADD COLUMN {LONG} int;", RULE)
    assert_lint_errors(f"ALTER TABLE plays RENAME COLUMN n TO {LONG};", RULE)
    assert_lint_errors(f"CREATE VIEW {LONG} AS SELECT 1;", RULE)


def test_across_files_and_inside_a_do_block():
    found = lint_last("CREATE TABLE plays (id bigint);", f"CREATE INDEX {LONG} ON plays (id);")
    assert RULE in [f.rule for f in found]
    do = f"DO $$ BEGIN EXECUTE 'CREATE TABLE {LONG} (id bigint)'; END $$;"
    [hit] = assert_lint_errors(do, RULE)
    assert hit.message.startswith("inside the DO block")


def test_multibyte_names_are_cut_between_characters():
    name = "é" * 32  # 64 bytes
    assert truncated(name) == "é" * 31
    [hit] = assert_lint_errors(f'CREATE TABLE "{name}" (id bigint);', RULE)
    assert "64 bytes" in hit.message


def test_names_of_63_bytes_and_long_references_are_ok():
    assert_lint_ok(f"CREATE TABLE {LONG[:63]} (id bigint);")
    assert_lint_ok("CREATE TABLE " + "é" * 31 + "x (id bigint);")  # 63 bytes
    # referring to a long name is not reported: it was reported where it was given
    assert_lint_ok(f"SELECT * FROM {LONG};")
    assert_lint_ok(f"CREATE TABLE plays (id bigint REFERENCES {LONG} (id));")


def test_an_alter_table_that_adds_and_changes_columns():
    sql = (
        f"ALTER TABLE plays ADD COLUMN {LONG} int, ALTER COLUMN n TYPE text, ALTER n SET DEFAULT 1;"
    )
    assert [f.rule for f in assert_lint_errors(sql, RULE)] == [RULE]
