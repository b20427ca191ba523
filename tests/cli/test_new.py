"""`audifi-db new`: the project root found from a subfolder, a warning for a reused name."""

import os
import subprocess
import sys

import pytest


def new(cwd, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audifi_db", "new", *args],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if not k.startswith("AUDIFI_DB_")},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def test_new_from_a_subfolder_writes_into_the_projects_migrations(project):
    deep = project.root / "src" / "app"
    deep.mkdir(parents=True)
    result = new(deep, "add_users")
    assert result.returncode == 0, result.stderr
    [created] = project.migrations.glob("*_add_users.sql")
    assert not (deep / "db").exists()
    assert (deep / result.stdout.strip()).resolve() == created.resolve()


def test_the_settings_file_marks_the_root_above_any_db_migrations(tmp_path):
    root = tmp_path / "repo"
    (root / "services" / "db" / "migrations").mkdir(parents=True)
    (root / "audifi-db.toml").write_text('[migrations]\ndir = "schema/migrations"\n')
    result = new(root / "services", "first")
    assert result.returncode == 0, result.stderr
    assert len(list((root / "schema" / "migrations").glob("*_first.sql"))) == 1
    assert list((root / "services" / "db" / "migrations").iterdir()) == []


def test_new_warns_when_another_migration_has_the_name(project):
    project.write("20260101000001", "add_users", "create table users (id int);\n")
    result = new(project.root, "add_users")
    assert result.returncode == 0, result.stderr
    assert "warning: 20260101000001_add_users.sql uses the name 'add_users'" in result.stderr
    assert len(list(project.migrations.glob("*_add_users.sql"))) == 2
    other = new(project.root, "add_orders")
    assert other.returncode == 0 and "warning" not in other.stderr


TAKEN = [
    ("add-required-column", ("--column", "plays", "--type", "int"), "plays"),
    ("rename-column", ("--from", "title", "--to", "plays"), "plays"),
    ("change-column-type", ("--column", "title", "--type", "varchar(200)"), "title_new"),
]


@pytest.mark.parametrize("template, flags, column", TAKEN, ids=[t[0] for t in TAKEN])
def test_a_template_refuses_to_add_a_column_the_table_has(project, template, flags, column):
    project.write(
        "20260101000001",
        "songs",
        "create table songs (id int primary key, title text, plays int, title_new text);\n",
    )
    before = sorted(project.migrations.iterdir())
    result = new(project.root, "x", "--template", template, "--table", "songs", *flags)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(
        f"audifi-db: error: --template {template}: songs already has a column {column} "
    ), line
    assert sorted(project.migrations.iterdir()) == before
