"""The engine: allow comments, context, server versions, what is not a statement."""

from dataclasses import dataclass

import pytest
from lint_helpers import assert_lint_errors, assert_lint_ok, lint, lint_last

from audifi_db.config import parse_server_version
from audifi_db.discovery import is_transactional
from audifi_db.lint.engine import (
    blocking,
    lint_pending,
    lint_source,
)

INDEX = "CREATE INDEX tracks_artist_idx ON tracks (artist_id);"


def test_allow_acknowledges_and_the_finding_is_still_reported():
    [finding] = lint(
        f"-- audifi-db: allow creating-index-non-concurrently tracks has 40 rows\n{INDEX}"
    )
    assert finding.rule == "creating-index-non-concurrently"
    assert finding.acknowledged and finding.reason == "tracks has 40 rows"
    assert blocking([finding]) == []


def test_allow_may_sit_above_other_comment_lines():
    sql = f"-- audifi-db: allow creating-index-non-concurrently small\n-- why: see ticket\n{INDEX}"
    assert [f.acknowledged for f in lint(sql)] == [True]


def test_allow_without_reason_is_a_finding_and_acknowledges_nothing():
    findings = lint(f"-- audifi-db: allow creating-index-non-concurrently\n{INDEX}")
    assert {(f.rule, f.acknowledged) for f in findings} == {
        ("allow-missing-reason", False),
        ("creating-index-non-concurrently", False),
    }


def test_allow_that_matches_nothing_is_a_finding():
    [finding] = lint("-- audifi-db: allow dropping-table not needed\nSELECT 1;")
    assert (finding.rule, finding.line, finding.column) == ("unused-allow", 1, 1)


PLAYS = "CREATE TABLE plays (id bigint);"
ALLOWED_RENAME = "-- audifi-db: allow renaming-table no code reads plays yet\nALTER TABLE plays RENAME TO listens;"


def test_an_allow_needed_once_earlier_migrations_are_applied_is_not_unused_in_their_run():
    # Applied before it: plays may be in use, the rename is found and acknowledged.
    [applied] = lint_last(PLAYS, ALLOWED_RENAME)
    assert (applied.rule, applied.acknowledged) == ("renaming-table", True)
    # Pending with it (`lint` against an empty database): plays is new, nothing is found, and
    # the allow is kept for the databases where plays exists already.
    assert lint_last(PLAYS, ALLOWED_RENAME, new=True) == []


def test_a_stale_allow_is_unused_in_a_run_too():
    stale = "-- audifi-db: allow renaming-table plays is ours\nCREATE TABLE listens (id bigint);"
    assert [f.rule for f in lint_last(PLAYS, stale, new=True)] == ["unused-allow"]
    # A table made earlier in the same file is new wherever the file runs.
    assert [f.rule for f in lint(f"{PLAYS}\n{ALLOWED_RENAME}")] == ["unused-allow"]


def test_allow_for_another_rule_does_not_acknowledge():
    findings = lint(f"-- audifi-db: allow dropping-table wrong rule\n{INDEX}")
    assert sorted(f.rule for f in findings) == ["creating-index-non-concurrently", "unused-allow"]


def test_allow_applies_to_the_next_statement_only():
    sql = f"-- audifi-db: allow creating-index-non-concurrently small\n\n{INDEX}"
    assert sorted(f.rule for f in lint(sql)) == ["creating-index-non-concurrently", "unused-allow"]


def test_allow_text_inside_a_string_is_not_a_comment():
    sql = "SELECT '\n-- audifi-db: allow creating-index-non-concurrently x\n';\n" + INDEX
    assert [f.acknowledged for f in lint(sql)] == [False]


def test_sql_in_comments_strings_and_function_bodies_is_not_a_statement():
    assert_lint_ok(
        "-- DROP TABLE users;\n/* ALTER TABLE users DROP COLUMN email; */\n"
        "SELECT 'TRUNCATE users; DROP TABLE users CASCADE';\n"
        "CREATE FUNCTION purge() RETURNS void LANGUAGE sql AS $$ TRUNCATE users $$;\n"
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$\n"
        "BEGIN DELETE FROM users; END $body$;"
    )


def test_everything_on_a_table_created_earlier_in_the_file_is_safe():
    assert_lint_ok(
        "CREATE TABLE plays (id bigint, track_id bigint, n int);\n"
        "CREATE INDEX plays_track ON plays (track_id);\n"
        "ALTER TABLE plays ADD CONSTRAINT f FOREIGN KEY (track_id) REFERENCES tracks (id);\n"
        "ALTER TABLE plays ADD CONSTRAINT pos CHECK (n > 0), ADD PRIMARY KEY (id);\n"
        "ALTER TABLE plays ALTER COLUMN n SET NOT NULL, ALTER COLUMN n TYPE bigint;\n"
        "INSERT INTO plays VALUES (1, 1, 1);"
    )


def test_the_same_table_in_another_file_is_not_new():
    assert_lint_errors(
        "CREATE INDEX plays_track ON plays (track_id);", "creating-index-non-concurrently"
    )


def test_not_null_with_constant_default_depends_on_server_version():
    sql = "ALTER TABLE tracks ADD COLUMN x bigint NOT NULL DEFAULT 0;"
    assert_lint_ok(sql, server_version=110000)
    assert_lint_errors(sql, "adding-column-with-volatile-default", server_version=100000)


def test_volatile_default_is_not_safe_on_any_version():
    sql = "ALTER TABLE tracks ADD COLUMN x bigint NOT NULL DEFAULT (random() * 1000)::bigint;"
    assert_lint_errors(sql, "adding-column-with-volatile-default", server_version=180000)


def test_enum_value_depends_on_server_version():
    add = "ALTER TYPE mood ADD VALUE 'calm';"
    assert_lint_errors(add, "adding-enum-value-in-transaction", server_version=110000)
    assert_lint_ok(add, server_version=120000)
    assert_lint_errors(add + "SELECT 'calm'::mood;", "adding-enum-value-in-transaction")


def test_syntax_error_is_a_finding_with_its_position():
    [finding] = lint("SELECT 1;\nALTER TABLE users ADD COLUMN;")
    assert (finding.rule, finding.line) == ("syntax-error", 2)
    assert blocking([finding]) == [finding]


def test_finding_position_and_mark():
    [finding] = lint("SELECT 1;\n  ALTER TABLE users\n    ADD COLUMN plan text NOT NULL;")
    assert (finding.line, finding.column) == (2, 3)
    assert finding.mark == (3, 16)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CREATE TABLE t (a int);", True),
        ("-- audifi-db: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);", False),
        ("-- title\n\n-- audifi-db: no-transaction\nSELECT 1;", False),
        ("SELECT 1;\n-- audifi-db: no-transaction\n", True),
    ],
)
def test_no_transaction_directive(text, expected):
    assert is_transactional(text) is expected


@pytest.mark.parametrize(
    ("given", "expected"), [("15", 150000), ("9.6", 90006), ("15.4", 150004), (170002, 170002)]
)
def test_server_version(given, expected):
    assert parse_server_version(given) == expected


@dataclass
class FakeMigration:
    path: str
    sql: str
    transactional: bool


def test_lint_pending_lints_each_migration_with_its_transaction_mode():
    findings = lint_pending(
        [
            FakeMigration("a.sql", INDEX, True),
            FakeMigration("b.sql", "CREATE INDEX CONCURRENTLY i ON t (a);", False),
        ]
    )
    assert [(f.file, f.rule) for f in findings] == [
        ("a.sql", "creating-index-non-concurrently"),
        ("b.sql", "not-rerunnable"),
    ]


def test_lint_source_defaults_to_the_newest_server():
    assert lint_source("m.sql", "ALTER TYPE mood ADD VALUE 'x';", transactional=True) == []
