"""`new --template revert --of VERSION`: the inverse of a migration, from the schema model
before and after it. No server (tests/db/test_templates_deploy.py deploys one)."""

from __future__ import annotations

import pytest

from audifi_db.discovery import directives
from audifi_db.errors import ConfigError
from audifi_db.lint.engine import blocking, lint_pending, replay_source
from audifi_db.lint.schema import SchemaModel
from audifi_db.model import Migration
from audifi_db.templates import Request, drafts

BASE = """CREATE TABLE tracks (id bigint PRIMARY KEY, title text NOT NULL,
  plays bigint NOT NULL DEFAULT 0, legacy text, genre text);
CREATE TABLE artists (id bigint PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE INDEX tracks_title_idx ON tracks (title);
"""
CHANGE = """ALTER TABLE tracks ADD COLUMN popularity bigint DEFAULT 0;
ALTER TABLE tracks ADD CONSTRAINT tracks_plays_positive CHECK (plays >= 0) NOT VALID;
ALTER TABLE tracks DROP COLUMN legacy;
ALTER TABLE tracks ALTER COLUMN title DROP NOT NULL;
ALTER TABLE tracks RENAME COLUMN genre TO style;
CREATE TABLE playlists (id bigint PRIMARY KEY, name text);
DROP TABLE artists;
"""
INDEXES = """-- audifi-db: no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS tracks_popularity_idx ON tracks (popularity);
DROP INDEX CONCURRENTLY IF EXISTS tracks_title_idx;
"""


def migration(version: str, name: str, text: str, suffix: str = ".sql") -> Migration:
    path = f"db/migrations/{version}_{name}{suffix}"
    return Migration(version, name, path, "", text, tuple(directives(text)))


FOLDER = [
    migration("20260101000001", "base", BASE),
    migration("20260101000002", "change", CHANGE),
    migration("20260101000003", "indexes", INDEXES),
]


def revert(version: str, folder=FOLDER) -> dict[str, str]:
    return {d.step: d.text for d in drafts(Request("revert", of=version), folder)}


def test_the_inverse_of_a_migration_undoes_each_change_the_model_knows():
    made = revert("20260101000002")
    assert list(made) == ["revert", "revert_not_null"]
    body = made["revert"]
    for line in (
        [
            "-- TODO: drop the function",  # (none here: no trigger)
        ][:0]
        + [
            "ALTER TABLE tracks DROP CONSTRAINT tracks_plays_positive;",
            "ALTER TABLE tracks DROP COLUMN popularity;",
            "-- tracks.legacy comes back empty (NULL in every row): 20260101000002_change dropped",
            "ALTER TABLE tracks ADD COLUMN legacy text;",
            "ALTER TABLE tracks RENAME COLUMN style TO genre;",
            "DROP TABLE playlists;",
            "-- artists comes back empty: 20260101000002_change dropped it with its rows",
            "CONSTRAINT artists_pkey PRIMARY KEY (id)",
            "CONSTRAINT artists_name_key UNIQUE (name)",
        ]
    ):
        assert line in body, line
    assert "ALTER TABLE tracks ALTER COLUMN title SET NOT NULL;" in made["revert_not_null"]
    assert made["revert_not_null"].startswith("-- audifi-db: no-transaction\n")


def test_indexes_are_reverted_concurrently_in_a_migration_of_their_own():
    made = revert("20260101000003")
    assert list(made) == ["revert_indexes"]
    assert "DROP INDEX CONCURRENTLY IF EXISTS tracks_popularity_idx;" in made["revert_indexes"]
    assert (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS tracks_title_idx ON tracks (title);"
        in made["revert_indexes"]
    )


def test_what_the_model_cannot_give_back_is_a_todo_line():
    folder = [
        migration(
            "20260101000001", "base", "CREATE TABLE t (id bigserial, n int CHECK (n > 0));\n"
        ),
        migration(
            "20260101000002",
            "loosen",
            "ALTER TABLE t ALTER COLUMN id DROP DEFAULT;\n"
            "ALTER TABLE t DROP CONSTRAINT t_n_check;\n"
            "ALTER TABLE t ADD COLUMN x int;\n",
        ),
    ]
    body = revert("20260101000002", folder)["revert"]
    assert "-- TODO: restore the default of t.id\n" in body  # a sequence's: not an expression
    assert "-- TODO: restore the check constraint t_n_check of t\n" in body
    assert "ALTER TABLE t DROP COLUMN x;" in body


def test_a_default_comes_back_with_its_expression():
    folder = [
        migration("20260101000001", "base", BASE),
        migration(
            "20260101000002",
            "defaults",
            "ALTER TABLE tracks ALTER COLUMN plays SET DEFAULT 1;\n"
            "ALTER TABLE tracks ALTER COLUMN title SET DEFAULT 'untitled';\n",
        ),
        migration(
            "20260101000003",
            "drop",
            "-- audifi-db: allow dropping-column the test's\nALTER TABLE tracks DROP COLUMN plays;\n",
        ),
    ]
    changed = revert("20260101000002", folder)["revert"]
    assert "ALTER TABLE tracks ALTER COLUMN title DROP DEFAULT;" in changed
    assert "ALTER TABLE tracks ALTER COLUMN plays SET DEFAULT 0;" in changed
    dropped = revert("20260101000003", folder)["revert"]
    assert dropped.endswith(
        "ALTER TABLE tracks ADD COLUMN plays bigint;\n"
        "ALTER TABLE tracks ALTER COLUMN plays SET DEFAULT 1;\n"
    )


def test_the_drafts_are_lint_clean_once_the_folder_is_applied():
    made = revert("20260101000002") | revert("20260101000003")
    reverts = [
        migration(f"2026010200000{i}", step, text) for i, (step, text) in enumerate(made.items())
    ]
    applied = SchemaModel()
    for done in FOLDER:
        replay_source(done.path, done.sql, applied)
    findings = lint_pending(reverts, schema=applied)
    assert not blocking(findings), [f.message for f in findings]
    assert all(f.acknowledged for f in findings), [(f.rule, f.message) for f in findings]


@pytest.mark.parametrize(
    "version, folder, message",
    [
        ("20991231000000", FOLDER, "there is no migration 20991231000000"),
        (
            "20260101000002",
            [
                FOLDER[0],
                migration("20260101000002", "fill", "def migrate(ctx):\n    pass\n", ".py"),
            ],
            "is a Python migration",
        ),
        (
            "20260101000002",
            [FOLDER[0], migration("20260101000002", "noop", "SELECT 1;\n")],
            "nothing in db/migrations/20260101000002_noop.sql that the schema model can undo",
        ),
    ],
)
def test_a_revert_that_cannot_be_drafted_is_refused(version, folder, message):
    with pytest.raises(ConfigError, match=message):
        revert(version, folder)


def test_a_migration_is_undone_statement_by_statement_in_reverse_order():
    folder = [
        migration("20260101000001", "base", "CREATE TABLE t (id bigint PRIMARY KEY, d int);\n"),
        migration(
            "20260101000002",
            "swap",
            "ALTER TABLE t ADD COLUMN d_new bigint;\n"
            "-- audifi-db: allow dropping-column the test's swap\n"
            "ALTER TABLE t DROP COLUMN d;\n"
            "-- audifi-db: allow renaming-column the test's swap\n"
            "ALTER TABLE t RENAME COLUMN d_new TO d;\n"
            "CREATE TABLE a (id bigint PRIMARY KEY);\n"
            "CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint REFERENCES a);\n",
        ),
    ]
    statements = [
        line
        for line in revert("20260101000002", folder)["revert"].splitlines()
        if not line.startswith("--")
    ]
    assert statements == [
        "DROP TABLE b;",
        "DROP TABLE a;",
        "ALTER TABLE t RENAME COLUMN d TO d_new;",
        "ALTER TABLE t ADD COLUMN d integer;",
        "ALTER TABLE t DROP COLUMN d_new;",
    ]


def test_an_index_renamed_is_renamed_back_not_rebuilt():
    folder = [
        migration("20260101000001", "base", BASE),
        migration(
            "20260101000002", "rename", "ALTER INDEX tracks_title_idx RENAME TO tracks_by_title;\n"
        ),
    ]
    assert revert("20260101000002", folder) == {
        "revert": "-- Reverts db/migrations/20260101000002_rename.sql (audifi-db new --template "
        "revert --of 20260101000002),\n"
        "-- drafted from the schema model before and after each of its statements, the last one\n"
        "-- undone first: review every line.\n"
        "ALTER INDEX tracks_by_title RENAME TO tracks_title_idx;\n"
    }


def test_what_runs_after_the_transaction_is_named_as_the_transaction_leaves_it():
    folder = [
        migration("20260101000001", "base", BASE),
        migration(
            "20260101000002",
            "rename_then_loosen",
            "-- audifi-db: allow renaming-column the test's\n"
            "ALTER TABLE tracks RENAME COLUMN title TO name;\n"
            "ALTER TABLE tracks ALTER COLUMN name DROP NOT NULL;\n"
            "DROP INDEX tracks_title_idx;\n",
        ),
    ]
    made = revert("20260101000002", folder)
    assert "ALTER TABLE tracks RENAME COLUMN name TO title;" in made["revert"]
    assert "ON tracks (title);" in made["revert_indexes"]
    assert "ALTER TABLE tracks ALTER COLUMN title SET NOT NULL;" in made["revert_not_null"]


def test_an_index_the_model_does_not_fully_know_is_a_todo_not_a_different_index():
    """Rebuilt from its columns alone, a partial unique index would come back stricter, and
    an expression index would not parse."""
    folder = [
        migration(
            "20260101000001",
            "base",
            "CREATE TABLE ipos (id bigint PRIMARY KEY, master_id bigint, status text, slug text);\n"
            "CREATE UNIQUE INDEX ipos_one_open ON ipos (master_id) WHERE status = 'open';\n"
            "CREATE INDEX ipos_slug ON ipos (lower(slug));\n",
        ),
        migration(
            "20260101000002",
            "drop",
            "-- audifi-db: no-transaction\n"
            "DROP INDEX CONCURRENTLY IF EXISTS ipos_one_open;\n"
            "DROP INDEX CONCURRENTLY IF EXISTS ipos_slug;\n",
        ),
    ]
    body = "\n".join(revert("20260101000002", folder).values())
    assert "-- TODO: rebuild index public.ipos_one_open as db/migrations/" in body
    assert "-- TODO: rebuild index public.ipos_slug as db/migrations/" in body
    assert "CREATE UNIQUE INDEX" not in body and "<columns" not in body
