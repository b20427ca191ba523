"""`dump-schema`: deterministic db/schema.sql that loads back into an in-sync database."""

import shutil
import subprocess

import pytest
from conftest import REPO, psql, query

from audifi_db import pgtools
from audifi_db.errors import ToolError

MIGRATIONS = sorted((REPO / "db" / "migrations").glob("*.sql"))


def with_audifi_migrations(project) -> None:
    for path in MIGRATIONS:
        shutil.copy(path, project.migrations / path.name)


def test_two_dumps_are_byte_identical_and_load_back_in_sync(project, staging_url):
    with_audifi_migrations(project)
    assert project.cli("deploy").returncode == 0
    first = project.cli("dump-schema")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "db/schema.sql written"
    schema = project.root / "db" / "schema.sql"
    once = schema.read_bytes()
    second = project.cli("dump-schema", "--output", "again.sql")
    assert second.returncode == 0 and (project.root / "again.sql").read_bytes() == once
    text = once.decode()
    assert "CREATE TABLE public.users" in text and "\\restrict" not in text
    assert text.count('INSERT INTO "public"."audifi_migrations"') == len(MIGRATIONS)
    subprocess.run(
        [psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(schema), staging_url],
        check=True,
        capture_output=True,
    )
    loaded = project.cli("status", url=staging_url)
    assert loaded.returncode == 0, loaded.stdout  # the history rows came with the schema


def test_deploy_refreshes_the_schema_file_when_asked(project):
    (project.root / "audifi-db.toml").write_text("[migrations]\ndump_schema = true\n")
    project.write("20260101000001", "users", "create table users (id int);\n")
    result = project.cli("deploy")
    assert result.returncode == 0, result.stderr
    assert "wrote db/schema.sql" in result.stderr
    schema = project.root / "db" / "schema.sql"
    assert "CREATE TABLE public.users" in schema.read_text()
    project.write("20260101000002", "orders", "create table orders (id int);\n")
    assert project.cli("deploy").returncode == 0
    assert "CREATE TABLE public.orders" in schema.read_text()
    nothing = project.cli("deploy")
    assert nothing.returncode == 0 and "schema.sql" not in nothing.stderr


def test_pg_dump_is_chosen_by_the_servers_major_version(server_url):
    major = int(query(server_url, "show server_version_num")[0][0]) // 10000
    tool = pgtools.find("pg_dump", major)
    assert tool.major >= major and tool.path.name == "pg_dump"
    with pytest.raises(ToolError) as refused:
        pgtools.find("pg_dump", 99)
    assert "pg_dump is older than the server" in refused.value.message
    assert "the server is 99" in refused.value.message
    assert str(tool.path) in refused.value.message  # names what it found


def test_the_password_stays_off_the_command_line():
    url, password = pgtools.without_password("postgresql://u:s3cr%40t@h:5/db?sslmode=require")
    assert (url, password) == ("postgresql://u@h:5/db?sslmode=require", "s3cr@t")
    url, password = pgtools.without_password("postgresql://u@h/db?password=pw&x=1")
    assert (url, password) == ("postgresql://u@h/db?x=1", "pw")
