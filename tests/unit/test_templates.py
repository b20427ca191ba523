"""`new --template`: each strategy's migrations, in order, each parsing and lint-clean; bad
requests refused naming the flag. No server (tests/db/test_templates_deploy.py deploys them)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from audifi_db.discovery import directives
from audifi_db.errors import ConfigError
from audifi_db.lint.engine import blocking, lint_pending, replay_source
from audifi_db.lint.schema import SchemaModel
from audifi_db.model import Migration
from audifi_db.planning import python_entry
from audifi_db.templates import Request, drafts

REQUESTS = {
    "add-required-column": Request(
        "add-required-column", table="tracks", column="popularity", type="bigint", default="0"
    ),
    "rename-column": Request(
        "rename-column", table="tracks", from_="plays", to="play_count", type="bigint"
    ),
    "rename-column contract": Request(
        "rename-column",
        table="tracks",
        from_="plays",
        to="play_count",
        type="bigint",
        phase="contract",
    ),
    "change-column-type": Request(
        "change-column-type", table="public.tracks", column="duration_ms", type="bigint"
    ),
    "drop-column": Request("drop-column", table="tracks", column="legacy"),
}
STEPS = {
    "add-required-column": [
        "add_column.sql",
        "backfill.py",
        "add_check.sql",
        "validate_check.sql",
        "set_not_null.sql",
        "drop_check.sql",
    ],
    "rename-column": ["add_play_count.sql", "sync_trigger.sql", "backfill.py"],
    "rename-column contract": ["drop_plays.sql"],
    "change-column-type": [
        "add_duration_ms_new.sql",
        "sync_trigger.sql",
        "backfill.py",
        "swap.sql",
    ],
    "drop-column": ["drop_legacy.sql"],
}


@pytest.mark.parametrize("which", list(REQUESTS))
def test_each_step_is_its_own_lint_clean_migration(which):
    made = drafts(REQUESTS[which])
    assert [d.step + d.suffix for d in made] == STEPS[which]
    migrations = [
        Migration(
            f"2026010100000{i}",
            d.step,
            f"db/migrations/2026010100000{i}_{d.step}{d.suffix}",
            "",
            d.text,
        )
        for i, d in enumerate(made)
    ]
    for migration in migrations:
        if migration.is_python:
            python_entry(migration)
    sql = [m for m in migrations if not m.is_python]
    # linted as `lint` lints what is pending: each against the steps before it
    findings = lint_pending(sql, schema=SchemaModel())
    assert not blocking(findings), [f.message for f in findings]
    assert all(f.acknowledged for f in findings), [(f.rule, f.message) for f in findings]


def test_the_required_columns_backfill_uses_the_backfill_value_and_the_default_for_new_rows():
    request = Request(
        "add-required-column",
        table="tracks",
        column="pop",
        type="int",
        default="0",
        backfill="plays / 10",
    )
    add, backfill, *_ = drafts(request)
    assert add.text.endswith(
        "ALTER TABLE tracks ADD COLUMN pop int;\nALTER TABLE tracks ALTER COLUMN pop SET DEFAULT 0;\n"
    )
    assert 'set="pop = plays / 10",\n        where="pop IS NULL",' in backfill.text


@pytest.mark.parametrize(
    "request_, message",
    [
        (Request("rename-column", table="t", from_="a"), r"rename-column needs --to \("),
        (Request("drop-column", table="t", column="c", type="int"), "--type does not apply"),
        (Request("drop-column", table="T", column="c"), "--table 'T' is not a plain lower-case"),
        (Request("drop-column", table="t", column="c; drop"), "--column 'c; drop' is not"),
        (
            Request("change-column-type", table="t", column="c", type="big int("),
            r"step 1 would not parse: add_c_new.sql:\d+:\d+: syntax error",
        ),
        (
            Request("add-required-column", table="t", column="c", type="int", backfill="1 +"),
            "step 2 would not parse: backfill.py",
        ),
    ],
)
def test_a_bad_request_is_refused_naming_what_to_fix(request_, message):
    with pytest.raises(ConfigError, match=message):
        drafts(request_)


SONGS = """CREATE TABLE artists (id bigint PRIMARY KEY, isrc_prefix text UNIQUE);
CREATE TABLE songs (id bigint PRIMARY KEY, artist_id bigint NOT NULL REFERENCES artists,
  plays int NOT NULL DEFAULT 0, title text NOT NULL DEFAULT 'untitled', isrc text UNIQUE,
  rating int CHECK (rating BETWEEN 1 AND 5), slug text, lyrics text, seq int GENERATED ALWAYS
  AS IDENTITY, released date DEFAULT now() - interval '1 day');
CREATE INDEX songs_plays_idx ON songs (plays);
CREATE INDEX songs_artist_plays_idx ON songs (artist_id, plays);
CREATE INDEX songs_title_idx ON songs (title);
CREATE INDEX songs_slug_idx ON songs (lower(slug));
CREATE INDEX songs_lyrics_idx ON songs (lyrics) WHERE lyrics IS NOT NULL;
CREATE TABLE covers (id bigint PRIMARY KEY, isrc text REFERENCES songs (isrc));
"""


def folder(*texts: str) -> list[Migration]:
    return [
        Migration(f"2025010100000{i}", f"m{i}", f"db/migrations/2025010100000{i}_m{i}.sql", "", t)
        for i, t in enumerate(texts, start=1)
    ]


def steps(request: Request, migrations) -> dict[str, str]:
    return {d.step + d.suffix: d.text for d in drafts(request, migrations)}


def lint_after(migrations, made: dict[str, str]) -> list:
    """Findings of the SQL steps, pending after the folder is applied."""
    applied = SchemaModel()
    for done in migrations:
        replay_source(done.path, done.sql, applied)
    pending = [
        Migration(
            f"2026010100000{i}",
            step,
            f"db/migrations/2026010100000{i}_{step}",
            "",
            text,
            tuple(directives(text)),
        )
        for i, (step, text) in enumerate(made.items())
        if step.endswith(".sql")
    ]
    return lint_pending(pending, schema=applied)


def test_change_column_type_carries_what_the_model_knows_of_the_column():
    migrations = folder(SONGS)
    made = steps(
        Request("change-column-type", table="songs", column="plays", type="bigint"), migrations
    )
    assert list(made) == [
        "add_plays_new.sql",
        "sync_trigger.sql",
        "backfill.py",
        "indexes.sql",
        "not_null.sql",
        "swap.sql",
    ]
    assert made["indexes.sql"].startswith("-- audifi-db: no-transaction\n")
    for line in (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS songs_plays_idx_new ON songs (plays_new);",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS songs_artist_plays_idx_new "
        "ON songs (artist_id, plays_new);",
    ):
        assert line in made["indexes.sql"], made["indexes.sql"]
    assert "CHECK (plays_new IS NOT NULL) NOT VALID;" in made["not_null.sql"]
    assert "ALTER TABLE songs ALTER COLUMN plays_new SET NOT NULL;" in made["not_null.sql"]
    swap = made["swap.sql"]
    for line in (
        "ALTER TABLE songs DROP COLUMN plays;",
        "ALTER TABLE songs RENAME COLUMN plays_new TO plays;",
        "ALTER TABLE songs ALTER COLUMN plays SET DEFAULT 0;",
        "ALTER INDEX songs_plays_idx_new RENAME TO songs_plays_idx;",
        "ALTER INDEX songs_artist_plays_idx_new RENAME TO songs_artist_plays_idx;",
    ):
        assert line in swap, swap
    findings = lint_after(migrations, made)
    assert not blocking(findings), [f.message for f in findings]
    assert all(f.acknowledged for f in findings), [(f.rule, f.message) for f in findings]


def test_a_unique_constraint_is_rebuilt_as_an_index_then_attached_at_the_swap():
    migrations = folder("CREATE TABLE t (id bigint PRIMARY KEY, code int UNIQUE);\n")
    made = steps(Request("change-column-type", table="t", column="code", type="bigint"), migrations)
    assert (
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_code_key_new ON t (code_new);"
        in made["indexes.sql"]
    )
    assert (
        "ALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE USING INDEX t_code_key_new;"
        in (made["swap.sql"])
    )
    assert "not_null.sql" not in made  # code is nullable
    findings = lint_after(migrations, made)
    assert all(f.acknowledged for f in findings), [(f.rule, f.message) for f in findings]


def test_rename_column_attaches_the_unique_constraints_to_the_indexes_it_built():
    migrations = folder("CREATE TABLE t (id bigint PRIMARY KEY, code text UNIQUE);\n")
    made = steps(Request("rename-column", table="t", from_="code", to="ref"), migrations)
    assert list(made) == [
        "add_ref.sql",
        "sync_trigger.sql",
        "backfill.py",
        "indexes.sql",
        "unique.sql",
    ]
    assert (
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_ref_key ON t (ref);"
        in (made["indexes.sql"])
    )
    assert (
        "ALTER TABLE t ADD CONSTRAINT t_ref_key UNIQUE USING INDEX t_ref_key;" in made["unique.sql"]
    )
    findings = lint_after(migrations, made)
    assert all(f.acknowledged for f in findings), [(f.rule, f.message) for f in findings]


def test_a_default_keeps_its_expression():
    made = steps(
        Request("change-column-type", table="songs", column="released", type="timestamptz"),
        folder(SONGS),
    )
    assert (
        "ALTER COLUMN released SET DEFAULT now() - CAST('1 day' AS interval);" in (made["swap.sql"])
    )


def test_rename_column_takes_the_type_from_the_model_and_carries_the_column_over():
    migrations = folder(SONGS)
    request = Request("rename-column", table="songs", from_="title", to="name")
    made = steps(request, migrations)
    assert list(made) == [
        "add_name.sql",
        "sync_trigger.sql",
        "backfill.py",
        "indexes.sql",
        "not_null.sql",
    ]
    assert "ALTER TABLE songs ADD COLUMN name text;" in made["add_name.sql"]
    assert "SET DEFAULT" not in made["add_name.sql"]  # old code's inserts rely on title's
    assert "CHECK (name IS NOT NULL) NOT VALID;" in made["not_null.sql"]
    findings = lint_after(migrations, made)
    assert all(f.acknowledged for f in findings), [(f.rule, f.message) for f in findings]
    expanded = migrations + [
        Migration(f"2025020100000{i}", s, f"db/migrations/2025020100000{i}_{s}", "", t)
        for i, (s, t) in enumerate(made.items())
        if s.endswith(".sql")
    ]
    contract = steps(replace(request, phase="contract"), expanded)
    assert (
        "ALTER TABLE songs ALTER COLUMN name SET DEFAULT 'untitled';" in contract["drop_title.sql"]
    )


def test_rename_column_contract_needs_no_type_and_expand_needs_it_only_for_an_unknown_column():
    contract = Request("rename-column", table="t", from_="a", to="b", phase="contract")
    assert [d.step for d in drafts(contract)] == ["drop_a"]
    with pytest.raises(ConfigError, match="needs --type: t.a is not in the schema"):
        drafts(Request("rename-column", table="t", from_="a", to="b"))


def test_an_unknown_column_is_drafted_with_a_warning():
    heard: list[str] = []
    drafts(REQUESTS["change-column-type"], warn=heard.append)
    [warning] = heard
    assert warning.startswith("warning: public.tracks.duration_ms is not in the schema")
    assert "NOT NULL, default and indexes are not carried over" in warning


@pytest.mark.parametrize(
    "column, message",
    [
        ("id", "songs.id is in the primary key songs_pkey"),
        ("artist_id", "songs.artist_id is in the foreign key songs_artist_id_fkey"),
        ("isrc", "songs.isrc is referenced by the foreign key covers_isrc_fkey of covers"),
        ("rating", "songs.rating has the check constraint songs_rating_check"),
        ("slug", "songs.slug is in the index songs_slug_idx, which the schema model cannot"),
        ("lyrics", "songs.lyrics is in the index songs_lyrics_idx, which the schema model"),
        ("seq", "songs.seq takes its default from an identity, a sequence or a generation"),
        ("nope", "songs has no column nope"),
    ],
)
def test_a_column_that_cannot_be_carried_over_is_refused(column, message):
    request = Request("change-column-type", table="songs", column=column, type="bigint")
    with pytest.raises(ConfigError, match=message) as refused:
        drafts(request, folder(SONGS))
    assert refused.value.hint, "says what to do"


def test_add_required_column_without_a_value_checks_there_are_no_rows_to_fill():
    request = Request("add-required-column", table="tracks", column="c", type="int")
    made = {d.step + d.suffix: d for d in drafts(request)}
    assert "SET DEFAULT" not in made["add_column.sql"].text
    guard = made["backfill.py"]
    assert "IF EXISTS (SELECT FROM tracks WHERE c IS NULL)" in guard.sql
    assert "tracks has rows without c" in guard.sql
    python_entry(Migration("20260101000001", "b", "b.py", "", guard.text))


def test_a_rebuilt_index_is_named_after_the_new_column_where_its_name_has_the_old_one():
    migrations = folder(
        "CREATE TABLE t (id int PRIMARY KEY, art text, n int);\n"
        "CREATE INDEX t_art_n ON t (art, n);\nCREATE INDEX t_artist ON t (art);\n"
    )
    made = steps(Request("rename-column", table="t", from_="art", to="x"), migrations)
    assert "IF NOT EXISTS t_x_n ON t (x, n);" in made["indexes.sql"]
    assert "IF NOT EXISTS t_artist_x ON t (x);" in made["indexes.sql"]  # not t_xist


def test_names_on_a_long_table_fit_63_bytes_and_stay_distinct():
    """Names past 63 bytes are cut by the server: cut, the sync triggers of plays_count and
    plays_country would be one name, and the second template's would fail at deploy."""
    table = "listening_sessions_by_artist_and_territory_monthly"  # 51 bytes
    migrations = folder(
        f"CREATE TABLE {table} (id bigint PRIMARY KEY, plays_count int NOT NULL DEFAULT 0, "
        "plays_country int NOT NULL DEFAULT 0);\n"
    )
    made = [
        steps(Request("change-column-type", table=table, column=c, type="bigint"), migrations)
        for c in ("plays_count", "plays_country")
    ]
    for one in made:
        findings = lint_after(migrations, one)
        assert not [f for f in findings if f.rule == "identifier-too-long"], findings
        assert not blocking(findings), [f.message for f in findings]
    names = [
        {
            line.split()[index]
            for text in one.values()
            for line in text.splitlines()
            for start, index in (("CREATE TRIGGER ", 2), ("ALTER TABLE", 5))
            if line.startswith(start) and (start != "ALTER TABLE" or " ADD CONSTRAINT " in line)
        }
        for one in made
    ]
    assert len(names[0]) == len(names[1]) == 2 and not names[0] & names[1], names


def test_a_step_that_would_not_parse_names_only_the_options_given():
    with pytest.raises(ConfigError) as refused:
        drafts(Request("change-column-type", table="t", column="c", type="big int("))
    assert refused.value.hint.startswith("check --type: they go into the SQL as given")
