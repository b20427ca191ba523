"""`lint` with no PATH: pending migrations judged against the target's live catalogue."""

from __future__ import annotations

import json

from conftest import REPO

from audifi_db import operations
from audifi_db.config import load_settings

USERS = "CREATE TABLE users (id integer PRIMARY KEY, email varchar(50), plan text);\n"
FILL = (
    "INSERT INTO users SELECT i, 'u' || i, NULL FROM generate_series(1, 20000) i;\n"
    "CREATE TABLE tiny (id integer);\n"
    "INSERT INTO tiny SELECT generate_series(1, 10);\n"
    "CREATE TABLE legacy (code integer);\n"  # made by hand, outside the migrations
    "ANALYZE users; ANALYZE tiny;\n"
)


def _deployed(project):
    project.write("20260101000000", "users", USERS)
    assert project.cli("deploy").returncode == 0
    project.query(FILL + "SELECT 1")
    return load_settings("local", project.url, cwd=project.root, environ={})


def test_pending_migrations_are_judged_against_the_live_schema(project):
    settings = _deployed(project)
    project.write(
        "20260102000000",
        "changes",
        "ALTER TABLE users ALTER COLUMN id TYPE bigint;\n"
        "ALTER TABLE tiny ALTER COLUMN id TYPE bigint;\n"
        "ALTER TABLE legacy ALTER COLUMN code TYPE text;\n"
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(80);\n"
        "UPDATE users SET plan = 'free' WHERE plan IS NULL;\n"
        "UPDATE users SET plan = 'pro' WHERE id = 7;\n",
    )
    findings = {f.line: f for f in operations.lint_pending(settings)}
    assert sorted(findings) == [1, 2, 3, 5]
    assert findings[1].message.startswith(
        "users.id is integer since the live database; -> bigint rewrites the table"
    )
    assert "(about 20 k rows)" in findings[1].message and findings[1].blocking
    assert str(findings[2].severity) == "warning" and "about 10 rows" in findings[2].message
    assert "legacy.code is integer since the live database" in findings[3].message
    assert "about 20,000 rows (the planner's estimate)" in findings[5].message


def test_what_an_earlier_pending_migration_creates_is_new(project):
    settings = _deployed(project)
    project.write("20260102000000", "plays", "CREATE TABLE plays (n integer);\n")
    project.write(
        "20260103000000",
        "index_plays",
        "CREATE INDEX plays_n ON plays (n);\nALTER TABLE plays ALTER COLUMN n TYPE bigint;\n",
    )
    assert operations.lint_pending(settings) == []


def test_lint_without_a_path_uses_the_live_schema(project):
    _deployed(project)
    project.write("20260102000000", "email", "ALTER TABLE users ALTER email TYPE text;\n")
    result = project.cli("lint", "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout) == []
    project.write("20260103000000", "id", "ALTER TABLE users ALTER id TYPE text;\n")
    result = project.cli("lint", "--format", "json")
    assert result.returncode == 1
    assert "since the live database" in json.loads(result.stdout)[0]["message"]


def test_the_lint_gate_s_function_with_a_connection_uses_the_live_schema(project):
    from audifi_db.discovery import discover
    from audifi_db.postgres.connect import connect

    settings = _deployed(project)
    project.write("20260102000000", "id", "ALTER TABLE users ALTER id TYPE bigint;\n")
    [*_, pending] = discover(project.migrations)
    with connect(project.url) as conn:
        [finding] = operations.lint_against_target(settings, [pending], conn)
    assert finding.blocking and "about 20 k rows" in finding.message


def test_the_databases_time_zone_decides_whether_timestamptz_rewrites(project):
    """Under UTC, timestamp -> timestamptz keeps the table; under another zone it rewrites."""
    settings = _deployed(project)
    project.query("CREATE TABLE events (at timestamp); SELECT 1")
    project.write("20260102000000", "zone", "ALTER TABLE events ALTER at TYPE timestamptz;\n")
    assert operations.lint_pending(settings) == []
    database = project.url.rsplit("/", 1)[1]
    project.query(f"ALTER DATABASE \"{database}\" SET TimeZone = 'Europe/Paris'; SELECT 1")
    (finding,) = operations.lint_pending(settings)
    assert "rewrites the table (the session time zone is not UTC" in finding.message


def test_audifis_migrations_lint_against_an_empty_database_as_from_their_folder(db_url):
    """Every migration pending, each judged after the earlier ones in one run (what they
    create is new), agrees with `lint db/migrations` (each judged as if the earlier ones were
    applied): nothing unacknowledged, and no allow called unused."""
    settings = load_settings("local", db_url, cwd=REPO, environ={})
    assert [f"{f.file}:{f.line} {f.rule}" for f in operations.lint_pending(settings)] == []
