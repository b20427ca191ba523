"""Each template, through the real CLI, on a table with data: `new --template` writes the
steps, `lint` passes them, `deploy` applies them, and the table ends as the strategy says."""

from __future__ import annotations

import pytest

ROWS = 5000


@pytest.fixture
def tracks(project):
    project.query(
        "create table tracks (id bigint primary key, plays bigint not null, duration_ms int, "
        "legacy text);"
        f"insert into tracks select g, g * 10, 1000 + g, 'x' from generate_series(1, {ROWS}) g"
    )
    return project


def new(project, name: str, *flags: str) -> list[str]:
    made = project.cli("new", name, *flags, url=None)
    assert made.returncode == 0, made.stderr
    return made.stdout.split()


def lint_and_deploy(project) -> None:
    linted = project.cli("lint")
    assert linted.returncode == 0 and "0 error(s), 0 warning(s)" in linted.stdout, linted.stdout
    deployed = project.cli("deploy")
    assert deployed.returncode == 0, deployed.stderr


def test_add_required_column(tracks):
    files = new(
        tracks,
        "add_popularity",
        "--template",
        "add-required-column",
        "--table",
        "tracks",
        "--column",
        "popularity",
        "--type",
        "bigint",
        "--default",
        "0",
        "--backfill",
        "plays / 10",
    )
    assert len(files) == 6 and files[1].endswith("_add_popularity_backfill.py")
    lint_and_deploy(tracks)
    assert tracks.query(
        "select count(*), count(*) filter (where popularity = plays / 10) from tracks"
    ) == [(ROWS, ROWS)]
    tracks.query("insert into tracks (id, plays) values (0, 5)")  # code that knows nothing of it
    assert tracks.query(
        "select popularity, (select attnotnull from pg_attribute where attrelid = 'tracks'::regclass "
        "and attname = 'popularity'), (select count(*) from pg_constraint where conname = "
        "'tracks_popularity_not_null') from tracks where id = 0"
    ) == [(0, True, 0)]


def test_rename_column_expand_keeps_old_and_new_code_working_then_contract(tracks):
    flags = ("--template", "rename-column", "--table", "tracks", "--from", "plays", "--to")
    new(tracks, "rename_plays", *flags, "play_count", "--type", "bigint")
    lint_and_deploy(tracks)
    assert tracks.query("select count(*) from tracks where play_count = plays") == [(ROWS,)]
    tracks.query("insert into tracks (id, plays) values (-1, 7)")  # old code
    tracks.query("insert into tracks (id, play_count) values (-2, 8)")  # new code
    tracks.query("update tracks set plays = 70 where id = -1")
    tracks.query("update tracks set play_count = 80 where id = -2")
    assert tracks.query("select id, plays, play_count from tracks where id < 0 order by id") == [
        (-2, 80, 80),
        (-1, 70, 70),
    ]
    new(tracks, "rename_plays_contract", *flags, "play_count", "--phase", "contract")
    lint_and_deploy(tracks)
    assert tracks.query(
        "select count(*) from pg_attribute where attrelid = 'tracks'::regclass and attname = 'plays' "
        "and not attisdropped"
    ) == [(0,)]
    assert tracks.query("select count(*) from pg_trigger where tgrelid = 'tracks'::regclass") == [
        (0,)
    ]
    tracks.query("insert into tracks (id, play_count) values (-3, 9)")  # new code goes on


def test_change_column_type_of_a_table_made_outside_the_migrations_warns(tracks):
    made = tracks.cli(
        "new",
        "widen_duration",
        *("--template", "change-column-type", "--table", "tracks", "--column", "duration_ms"),
        *("--type", "bigint"),
        url=None,
    )
    assert made.returncode == 0, made.stderr
    assert made.stderr.splitlines() == [
        "audifi-db: warning: tracks.duration_ms is not in the schema the migrations folder "
        "leaves (made "
        "outside its migrations?): its NOT NULL, default and indexes are not carried over to "
        "duration_ms_new; give duration_ms_new what duration_ms has in a migration of your own"
    ]
    lint_and_deploy(tracks)
    assert tracks.query(
        "select format_type(atttypid, atttypmod) from pg_attribute "
        "where attrelid = 'tracks'::regclass and attname = 'duration_ms'"
    ) == [("bigint",)]
    assert tracks.query("select count(*) from tracks where duration_ms = 1000 + id") == [(ROWS,)]
    assert tracks.query(
        "select count(*) from pg_proc where proname = 'tracks_duration_ms_type_sync'"
    ) == [(0,)]


def test_drop_column(tracks):
    new(
        tracks,
        "drop_legacy",
        "--template",
        "drop-column",
        "--table",
        "tracks",
        "--column",
        "legacy",
    )
    lint_and_deploy(tracks)
    assert tracks.query(
        "select count(*) from pg_attribute where attrelid = 'tracks'::regclass and attname = 'legacy' "
        "and not attisdropped"
    ) == [(0,)]


def test_a_bad_template_request_is_one_line_exit_2_and_writes_nothing(tracks):
    made = tracks.cli("new", "x", "--template", "rename-column", "--table", "tracks", url=None)
    assert made.returncode == 2 and "Traceback" not in made.stderr
    assert made.stderr.strip().splitlines() == [
        "audifi-db: error: --template rename-column needs --from, --to — e.g. "
        "audifi-db new rename_plays --template rename-column --table tracks --from plays "
        "--to play_count"
    ]
    assert list(tracks.migrations.iterdir()) == []


def columns(project, table: str) -> list[tuple]:
    return project.query(
        "select attname, format_type(atttypid, atttypmod), attnotnull from pg_attribute "
        "where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attname",
        (table,),
    )


def test_revert_undoes_a_migration_on_a_table_with_data(project):
    project.write(
        "20260101000001",
        "base",
        "create table songs (id bigint primary key, title text not null, legacy text, genre text);\n"
        f"insert into songs select g, 'song ' || g, 'x', 'pop' from generate_series(1, {ROWS}) g;\n",
    )
    project.write(
        "20260101000002",
        "change",
        "alter table songs add column rating int;\n"
        "alter table songs alter column title drop not null;\n"
        "-- audifi-db: allow dropping-column the test's change\n"
        "alter table songs drop column legacy;\n"
        "-- audifi-db: allow renaming-column the test's change\n"
        "alter table songs rename column genre to style;\n",
    )
    assert project.cli("deploy").returncode == 0
    before_change = [
        ("genre", "text", False),
        ("id", "bigint", True),
        ("legacy", "text", False),
        ("title", "text", True),
    ]
    files = new(project, "undo_change", "--template", "revert", "--of", "20260101000002")
    assert [f.rsplit("_", 2)[-1] for f in files] == [
        "revert.sql",
        "null.sql",
    ]  # and revert_not_null
    lint_and_deploy(project)
    assert columns(project, "songs") == before_change
    assert project.query(
        "select count(*), count(legacy), count(*) filter (where genre = 'pop') from songs"
    ) == [(ROWS, 0, ROWS)]  # legacy came back empty, as the draft says


SONGS = (
    "create table songs (id bigint primary key, artist_id bigint not null,\n"
    "  plays int not null default 0, title text not null default 'untitled',\n"
    "  duration_ms int, constraint songs_plays_key unique (plays));\n"
    "create index songs_plays_idx on songs (plays);\n"
    "create index songs_artist_plays_idx on songs (artist_id, plays);\n"
    "create index songs_title_idx on songs (title);\n"
    "insert into songs select g, g % 7, g * 10, 'song ' || g, 1000 + g\n"
    f"  from generate_series(1, {ROWS}) g;\n"
)


@pytest.fixture
def songs(project):
    """A table made by a migration (the schema model knows it), with data."""
    project.write("20260101000001", "songs", SONGS)
    assert project.cli("deploy").returncode == 0
    return project


def attributes(project, column: str) -> tuple:
    """(type, is_nullable, default) of songs.`column` from information_schema."""
    [found] = project.query(
        "select data_type, is_nullable, column_default from information_schema.columns "
        "where table_name = 'songs' and column_name = %s",
        (column,),
    )
    return found


def indexes(project) -> dict[str, str]:
    return dict(
        project.query("select indexname, indexdef from pg_indexes where tablename = 'songs'")
    )


def test_change_column_type_carries_not_null_default_indexes_and_unique_over(songs):
    files = new(
        songs,
        "widen_plays",
        "--template",
        "change-column-type",
        "--table",
        "songs",
        "--column",
        "plays",
        "--type",
        "bigint",
    )
    lint_and_deploy(songs)
    assert attributes(songs, "plays") == ("bigint", "NO", "0")
    assert indexes(songs) == {
        "songs_pkey": "CREATE UNIQUE INDEX songs_pkey ON public.songs USING btree (id)",
        "songs_plays_key": "CREATE UNIQUE INDEX songs_plays_key ON public.songs USING btree (plays)",
        "songs_plays_idx": "CREATE INDEX songs_plays_idx ON public.songs USING btree (plays)",
        "songs_artist_plays_idx": "CREATE INDEX songs_artist_plays_idx ON public.songs "
        "USING btree (artist_id, plays)",
        "songs_title_idx": "CREATE INDEX songs_title_idx ON public.songs USING btree (title)",
    }
    assert songs.query(
        "select contype, conname from pg_constraint where conrelid = 'songs'::regclass order by 2"
    ) == [("p", "songs_pkey"), ("u", "songs_plays_key")]  # the NOT NULL check is gone
    assert songs.query("select count(*) from songs where plays = id * 10") == [(ROWS,)]
    songs.query("insert into songs (id, artist_id) values (0, 1)")  # code that omits plays
    assert songs.query("select plays from songs where id = 0") == [(0,)]
    assert len(files) == 6  # with indexes and not_null (unit/test_templates.py names them)


def test_rename_column_carries_not_null_default_and_indexes_over_without_type(songs):
    flags = ("--template", "rename-column", "--table", "songs", "--from", "title", "--to", "name")
    new(songs, "rename_title", *flags)
    lint_and_deploy(songs)
    assert attributes(songs, "name") == ("text", "NO", None)  # the default moves at contract
    assert "songs_name_idx" in indexes(songs)
    old_code, new_code = "(id, artist_id, plays, title)", "(id, artist_id, plays, name)"
    songs.query(f"insert into songs {old_code} values (-1, 1, -1, 'old')")
    songs.query(f"insert into songs {new_code} values (-2, 1, -2, 'new')")
    songs.query("insert into songs (id, artist_id, plays) values (-3, 1, -3)")  # either: default
    assert songs.query("select id, title, name from songs where id < 0 order by id") == [
        (-3, "untitled", "untitled"),
        (-2, "new", "new"),
        (-1, "old", "old"),
    ]
    new(songs, "rename_title_contract", *flags, "--phase", "contract")
    lint_and_deploy(songs)
    assert attributes(songs, "name") == ("text", "NO", "'untitled'::text")
    assert indexes(songs)["songs_name_idx"] == (
        "CREATE INDEX songs_name_idx ON public.songs USING btree (name)"
    )
    songs.query("insert into songs (id, artist_id, plays) values (-4, 1, -4)")
    assert songs.query("select name from songs where id = -4") == [("untitled",)]


def test_a_column_that_cannot_be_carried_over_is_refused_in_one_line_writing_nothing(songs):
    before = sorted(songs.migrations.iterdir())
    made = songs.cli(
        "new",
        "widen_id",
        *("--template", "change-column-type", "--table", "songs", "--column", "id"),
        *("--type", "numeric"),
        url=None,
    )
    assert made.returncode == 2 and "Traceback" not in made.stderr
    [line] = made.stderr.strip().splitlines()
    assert line.startswith(
        "audifi-db: error: --template change-column-type: songs.id is in the primary key songs_pkey"
    ), line
    assert sorted(songs.migrations.iterdir()) == before


@pytest.mark.parametrize(
    "column, was",
    [
        ("duration_ms", ("integer", "YES", None)),
        ("plays", ("integer", "YES", "0")),  # its default, index names, unique constraint
    ],
)
def test_revert_of_a_change_column_type_swap_deploys(songs, column, was):
    files = new(
        songs,
        "widen",
        *("--template", "change-column-type", "--table", "songs", "--column", column),
        *("--type", "bigint"),
    )
    lint_and_deploy(songs)
    swap = next(f for f in files if f.endswith("_swap.sql"))
    version = swap.rpartition("/")[2].partition("_")[0]
    new(songs, "undo_swap", "--template", "revert", "--of", version)
    lint_and_deploy(songs)
    assert attributes(songs, column) == was  # back, empty
    assert attributes(songs, f"{column}_new")[0] == "bigint"
    assert songs.query(f"select count({column}), count({column}_new) from songs") == [(0, ROWS)]
    built = {name: sql for name, sql in indexes(songs).items() if name.endswith("_new")}
    assert all(sql.endswith(f"{column}_new)") for sql in built.values()), built


def test_add_required_column_without_a_value_stops_before_the_check_on_a_table_with_rows(songs):
    flags = ("--template", "add-required-column", "--table", "songs", "--column", "rating")
    files = new(songs, "add_rating", *flags, "--type", "int")
    assert len(files) == 6
    linted = songs.cli("lint")
    assert linted.returncode == 0, linted.stdout
    deployed = songs.cli("deploy")
    assert deployed.returncode == 1
    assert "songs has rows without rating" in deployed.stderr, deployed.stderr
    assert songs.query(
        "select count(*) from pg_constraint where conname = 'songs_rating_not_null'"
    ) == [(0,)]


def test_add_required_column_without_a_value_on_an_empty_table(project):
    project.write("20260101000001", "plays", "create table plays (id bigint primary key);\n")
    flags = ("--template", "add-required-column", "--table", "plays", "--column", "at")
    new(project, "add_at", *flags, "--type", "timestamptz")
    lint_and_deploy(project)
    [(nullable, default)] = project.query(
        "select is_nullable, column_default from information_schema.columns "
        "where table_name = 'plays' and column_name = 'at'"
    )
    assert (nullable, default) == ("NO", None)
