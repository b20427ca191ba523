"""Folders: each migration against the schema the ones before it leave.

An imaginary project whose fifth migration is judged by facts only its first, third and
fourth migrations establish."""

from __future__ import annotations

from pathlib import Path

import pytest

from audifi_db.lint.files import Options, explain_paths, lint_paths, units_for
from audifi_db.lint.schema import Session

PROJECT = {
    "20260101000000_create_listeners.sql": (
        "CREATE TABLE listeners (id integer PRIMARY KEY, email varchar(100),\n"
        "  joined_at timestamp, plan text);\n"
        "CREATE INDEX listeners_joined_at ON listeners (joined_at);\n"
    ),
    "20260102000000_create_playlists.sql": (
        "CREATE TABLE playlists (id bigint PRIMARY KEY, listener_id integer REFERENCES listeners);\n"
    ),
    "20260103000000_prove_plan.sql": (
        "-- audifi-db: no-transaction\n"
        "ALTER TABLE listeners DROP CONSTRAINT IF EXISTS listeners_plan_nn;\n"
        "ALTER TABLE listeners ADD CONSTRAINT listeners_plan_nn CHECK (plan IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE listeners VALIDATE CONSTRAINT listeners_plan_nn;\n"
    ),
    "20260104000000_add_country.sql": "ALTER TABLE listeners ADD COLUMN country text;\n",
    "20260105000000_tighten.sql": (
        "ALTER TABLE listeners ALTER COLUMN email TYPE varchar(200);\n"
        "ALTER TABLE listeners ALTER COLUMN plan SET NOT NULL;\n"
        "ALTER TABLE listeners ALTER COLUMN id TYPE bigint;\n"
        "ALTER TABLE listeners ALTER COLUMN joined_at TYPE timestamptz;\n"
        "UPDATE listeners SET country = 'FR' WHERE country IS NULL;\n"
    ),
}
FIFTH = "20260105000000_tighten.sql"
OPTIONS = Options(150000, Session(("public",), "UTC"))


@pytest.fixture
def folder(tmp_path) -> Path:
    migrations = tmp_path / "db" / "migrations"
    migrations.mkdir(parents=True)
    for name, sql in PROJECT.items():
        (migrations / name).write_text(sql)
    return migrations


def found(findings) -> list[tuple[str, int, str, str]]:
    return [(Path(f.file).name, f.line, f.rule, str(f.severity)) for f in findings]


def test_the_fifth_migration_is_judged_by_what_the_first_four_leave(folder):
    assert found(lint_paths([str(folder)], OPTIONS)) == [
        (FIFTH, 3, "changing-column-type", "error"),  # integer since the first file
        (FIFTH, 4, "changing-column-type", "warning"),  # the first file's index is rebuilt
    ]
    # email grows (catalog only); plan is proven NOT NULL by the third file's check;
    # country was added by an applied migration, so the UPDATE is an ordinary one


def test_one_file_of_a_folder_gets_the_same_context(folder):
    assert found(lint_paths([str(folder / FIFTH)], OPTIONS)) == found(
        lint_paths([str(folder)], OPTIONS)
    )


def test_new_since_makes_later_files_one_run(folder):
    options = Options(150000, Session(("public",), "UTC"), new_since="20260104000000")
    rules = found(lint_paths([str(folder)], options))
    assert (FIFTH, 5, "update-or-delete-without-where", "error") in rules  # a backfill now
    assert all(name >= "20260104000000" for name, *_ in rules)  # older files: replayed only


def test_a_session_time_zone_other_than_utc_makes_timestamptz_rewrite(folder):
    paris = Options(150000, Session(("public",), "Europe/Paris"))
    [*_, joined_at] = lint_paths([str(folder)], paris)
    assert (joined_at.line, joined_at.severity) == (4, "error")
    assert "session time zone is not UTC" in joined_at.message


def test_the_finding_says_what_the_model_knew(folder):
    [id_change, _] = lint_paths([str(folder)], OPTIONS)
    assert id_change.message.startswith(
        "listeners.id is integer since " + str(folder / "20260101000000_create_listeners.sql")
    )
    assert "-> bigint rewrites the table" in id_change.message


def test_explain_lists_locks_and_facts(folder):
    [(path, explained)] = explain_paths([str(folder / FIFTH)], OPTIONS)
    assert path.endswith(FIFTH)
    set_not_null = explained[1]
    assert [(e.mode.label, e.scan) for e in set_not_null.effects] == [("ACCESS EXCLUSIVE", False)]
    assert any("varchar(100)" in fact for fact in explained[0].facts)


def test_workers_return_the_same_findings_as_one_process(tmp_path):
    paths = []
    for i in range(6):
        path = tmp_path / f"f{i}.sql"
        path.write_text(
            f"CREATE INDEX i{i} ON t (a);\nALTER TABLE t ADD COLUMN c{i} int NOT NULL;\n"
        )
        paths.append(str(path))
    alone = lint_paths(paths, OPTIONS, workers=1)
    assert len(alone) == 12
    assert lint_paths(paths, OPTIONS, workers=2) == alone


def test_a_folder_and_files_are_independent_units(folder, tmp_path):
    lone = tmp_path / "lone.sql"
    lone.write_text("SELECT 1;\n")
    units = units_for([str(folder), str(lone), str(folder / FIFTH)])
    assert [len(u.sources) for u in units] == [5, 1, 5]
    assert units[2].only == {str(folder / FIFTH)}
