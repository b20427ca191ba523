"""`audifi-db reset`: drops what the migrations made wherever they made it, reloads the seeds."""

APP = "create schema app;\ncreate table app.items (id int);\ncreate table users (id int);\n"


def test_reset_drops_the_schemas_the_migrations_create(project):
    project.write("20260101000001", "app", APP)
    assert project.cli("deploy").returncode == 0
    project.query("insert into app.items values (1); create schema mine; create table mine.x ()")
    result = project.cli("reset", "--force")
    assert result.returncode == 0, result.stderr
    assert project.query("select count(*) from app.items") == [(0,)]
    assert "kept schema(s) mine: neither in [migrations] schemas nor created" in result.stderr
    assert project.query("select to_regclass('mine.x') is not null") == [(True,)]
    assert [r[:2] for r in project.history()] == [("20260101000001", "applied")]


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
