"""`audifi-db reset`: drops what the migrations made wherever they made it, reloads the seeds."""

APP = "create schema app;\ncreate table app.items (id int);\ncreate table users (id int);\n"


def test_reset_drops_the_schemas_the_migrations_create(project):
    project.write("20260101000001", "app", APP)
    assert project.cli("deploy").returncode == 0
    project.query("insert into app.items values (1)")
    result = project.cli("reset", "--force")
    assert result.returncode == 0, result.stderr
    assert project.query("select count(*) from app.items") == [(0,)]
    assert [r[:2] for r in project.history()] == [("20260101000001", "applied")]


def test_reset_drops_the_schemas_a_do_block_creates(project):
    project.write(
        "20260101000001",
        "dyn",
        "do $$ begin execute 'CREATE SCHEMA dyn'; end $$;\ncreate table dyn.items (id int);\n",
    )
    assert project.cli("deploy").returncode == 0
    project.query("insert into dyn.items values (1)")
    result = project.cli("reset", "--force")
    assert result.returncode == 0, result.stderr
    assert project.query("select count(*) from dyn.items") == [(0,)]


BUILT_AT_RUN_TIME = (  # a schema no reading of the files can name
    "do $$ begin execute format('CREATE SCHEMA %I', 'dyn'); end $$;\n"
    "create table dyn.items (id int);\n"
)


def test_reset_refuses_schemas_it_cannot_account_for_and_drops_nothing(project):
    project.write("20260101000001", "app", APP)
    project.write("20260101000002", "dyn", BUILT_AT_RUN_TIME)
    assert project.cli("deploy").returncode == 0
    project.query(
        "insert into app.items values (1); insert into dyn.items values (1); "
        "create schema mine; create table mine.x ()"
    )
    refused = project.cli("reset", "--force")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    [error] = [line for line in refused.stderr.splitlines() if line.startswith("audifi-db: error:")]
    assert "schema(s) dyn, mine" in error and "nothing was dropped" in error
    assert "[migrations] schemas" in error and "DROP SCHEMA" in error
    assert project.query(
        "select (select count(*) from app.items), (select count(*) from dyn.items), "
        "to_regclass('mine.x') is not null"
    ) == [(1, 1, True)]
    assert [r[:2] for r in project.history()] == [
        ("20260101000001", "applied"),
        ("20260101000002", "applied"),
    ]
    # what the refusal says to do: drop what the migrations make, list what they expect
    project.query("drop schema dyn cascade")
    (project.root / "audifi-db.toml").write_text('[migrations]\nschemas = ["public", "mine"]\n')
    again = project.cli("reset", "--force")
    assert again.returncode == 0, again.stderr
    assert project.query(
        "select (select count(*) from dyn.items), to_regnamespace('mine') is not null, "
        "to_regclass('mine.x')"
    ) == [(0, True, None)]


def test_reset_reloads_the_seeds_unless_told_not_to(project):
    project.write("20260101000001", "users", "create table users (id int);\n")
    seeds = project.root / "db" / "seeds"
    seeds.mkdir()
    (seeds / "001_users.sql").write_text("insert into users values (1), (2);\n")
    assert project.cli("deploy").returncode == 0
    result = project.cli("reset", "--force")
    assert result.returncode == 0, result.stderr
    assert "seeded   db/seeds/001_users.sql  (2 rows)" in result.stdout
    assert project.query("select count(*) from users") == [(2,)]
    bare = project.cli("reset", "--force", "--no-seed")
    assert bare.returncode == 0 and "seeded" not in bare.stdout
    assert project.query("select count(*) from users") == [(0,)]


def test_reset_without_seed_files_just_resets(project):
    project.write("20260101000001", "users", "create table users (id int);\n")
    result = project.cli("reset", "--force")
    assert result.returncode == 0, result.stderr
    assert "1 migration(s) applied" in result.stdout and "seed" not in result.stdout
