"""`audifi-db lint PATH…` as a subprocess: no database, exit codes 0/1/2, json and github."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SAFE = "CREATE TABLE plays (id bigint PRIMARY KEY);\nCREATE INDEX plays_id ON plays (id);\n"
UNSAFE = "SELECT 1;\nALTER TABLE users ADD COLUMN plan text NOT NULL;\n"


def lint(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audifi_db", "lint", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return name


def test_safe_file_exits_0(tmp_path):
    result = lint(tmp_path, write(tmp_path, "safe.sql", SAFE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 error(s), 0 warning(s), 0 acknowledged"


def test_unsafe_file_exits_1_with_position_and_recipe(tmp_path):
    result = lint(tmp_path, write(tmp_path, "safe.sql", SAFE), write(tmp_path, "bad.sql", UNSAFE))
    assert result.returncode == 1
    assert result.stdout.startswith("bad.sql:2:1: error adding-required-column: ")
    assert "lock: ACCESS EXCLUSIVE on users" in result.stdout


def test_json_output(tmp_path):
    result = lint(tmp_path, "--format", "json", write(tmp_path, "bad.sql", UNSAFE))
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)
    assert (finding["file"], finding["line"], finding["column"]) == ("bad.sql", 2, 1)
    assert finding["rule"] == "adding-required-column" and finding["acknowledged"] is False


def test_github_output(tmp_path):
    result = lint(tmp_path, "--format", "github", write(tmp_path, "bad.sql", UNSAFE))
    assert result.returncode == 1
    assert result.stdout.startswith(
        "::error file=bad.sql,line=2,col=1,title=adding-required-column::"
    )


def test_acknowledged_error_exits_0_and_is_still_reported(tmp_path):
    text = (
        "-- audifi-db: allow adding-required-column users is empty until launch\n"
        + UNSAFE.split("\n")[1]
    )
    result = lint(tmp_path, "--format", "json", write(tmp_path, "ok.sql", text))
    assert result.returncode == 0, result.stdout
    [finding] = json.loads(result.stdout)
    assert finding["acknowledged"] is True


def test_no_transaction_directive_is_read_from_the_file(tmp_path):
    text = "-- audifi-db: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\n"
    assert lint(tmp_path, write(tmp_path, "cic.sql", text)).returncode == 0
    assert lint(tmp_path, write(tmp_path, "tx.sql", text.split("\n", 1)[1])).returncode == 1


def test_server_version_flag(tmp_path):
    path = write(tmp_path, "d.sql", "ALTER TABLE t ADD COLUMN x int NOT NULL DEFAULT 0;\n")
    assert lint(tmp_path, path).returncode == 0
    assert lint(tmp_path, "--server-version", "10", path).returncode == 1
    assert lint(tmp_path, "--server-version", "ten", path).returncode == 2


def test_explain(tmp_path):
    path = write(tmp_path, "e.sql", "ALTER TABLE tracks ALTER COLUMN d TYPE bigint;\n")
    result = lint(tmp_path, "--explain", path)
    assert result.returncode == 0
    assert "ACCESS EXCLUSIVE on tracks  (rewrites the table)" in result.stdout


def test_syntax_error_is_a_finding(tmp_path):
    result = lint(tmp_path, "--format", "json", write(tmp_path, "s.sql", "SELEC 1;\n"))
    assert result.returncode == 1
    assert json.loads(result.stdout)[0]["rule"] == "syntax-error"


def test_missing_file_is_one_clear_line_and_a_usage_error(tmp_path):
    result = lint(tmp_path, "nope.sql")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "audifi-db: error: nope.sql: no such file or folder — check the path; `audifi-db lint` "
        "with no PATH checks the migrations not yet applied to --env"
    ]
    envelope = json.loads(lint(tmp_path, "--json", "nope.sql").stdout)
    assert envelope["ok"] is False and envelope["message"] == "nope.sql: no such file or folder"


def test_a_folder_is_every_migration_in_it_in_version_order(tmp_path):
    folder = tmp_path / "db" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20260101000000_plays.sql").write_text("CREATE TABLE plays (n integer);\n")
    (folder / "20260102000000_grow.sql").write_text("ALTER TABLE plays ALTER n TYPE bigint;\n")
    result = lint(tmp_path, "--format", "json", "db/migrations")
    assert result.returncode == 1, result.stderr
    [finding] = json.loads(result.stdout)
    assert finding["file"] == "db/migrations/20260102000000_grow.sql"
    assert finding["message"].startswith(
        "plays.n is integer since db/migrations/20260101000000_plays.sql"
    )
    explained = lint(tmp_path, "--explain", "db/migrations/20260102000000_grow.sql")
    assert "knows: plays.n is integer since" in explained.stdout
    assert lint(tmp_path, "--new-since", "20260101000000", "db/migrations").returncode == 0
    assert lint(tmp_path, "--new-since", "soon", "db/migrations").returncode == 2


CREATE_USERS = "create table users (id int);\n"
REQUIRED_EMAIL = "alter table users add column email text not null;\n"


def test_dev_lints_before_it_applies(project):
    project.write("20260101000001", "users", CREATE_USERS)
    assert project.cli("deploy").returncode == 0
    project.write("20260101000002", "email", REQUIRED_EMAIL)
    result = project.cli("dev")
    assert result.returncode == 1
    assert "adding-required-column" in result.stdout
    assert "nothing was applied" in result.stderr
    assert project.query("select count(*) from audifi_migrations") == [(1,)]


def test_deploy_to_production_refuses_unacknowledged_errors(project):
    project.write("20260101000001", "users", CREATE_USERS)
    env = project.env(PRODUCTION_DATABASE_URL=project.url)
    skip = ("--skip-staging-check", "this test has no staging")
    assert project.cli("deploy", "--env", "production", *skip, url=None, env=env).returncode == 0
    project.write("20260101000002", "email", REQUIRED_EMAIL)
    refused = project.cli("deploy", "--env", "production", "--json", *skip, url=None, env=env)
    assert refused.returncode == 1
    lines = [json.loads(line) for line in refused.stdout.splitlines()]
    [refusal] = [line for line in lines if line["event"] == "refused"]
    assert refusal["guard"] == "lint" and refusal["error"] == "LintFailedError"
    assert refusal["details"][0]["rule"] == "adding-required-column"
    assert lines[-1]["event"] == "run_failed" and lines[-1]["applied"] == 0
    assert project.query("select to_regclass('users')") != [(None,)]
    assert project.query(
        "select count(*) from information_schema.columns "
        "where table_name = 'users' and column_name = 'email'"
    ) == [(0,)]
    acknowledged = (
        "-- audifi-db: allow adding-required-column users is empty in production\n" + REQUIRED_EMAIL
    )
    project.write("20260101000002", "email", acknowledged)
    assert project.cli("deploy", "--env", "production", *skip, url=None, env=env).returncode == 0


def test_a_table_created_by_an_earlier_pending_migration_is_new(project):
    project.write("20260101000001", "users", CREATE_USERS)
    project.write("20260101000002", "email", REQUIRED_EMAIL)
    env = project.env(PRODUCTION_DATABASE_URL=project.url)
    skip = ("--skip-staging-check", "this test has no staging")
    assert project.cli("deploy", "--env", "production", *skip, url=None, env=env).returncode == 0


def test_lint_without_paths_checks_only_pending_migrations(project):
    project.write("20260101000001", "users", CREATE_USERS)
    project.cli("deploy")
    clean = project.cli("lint", "--format", "json")
    assert clean.returncode == 0 and json.loads(clean.stdout) == []
    assert clean.stderr.startswith("audifi-db: pending migrations of local: postgresql://")
    project.write("20260101000002", "email", REQUIRED_EMAIL)
    flagged = project.cli("lint", "--format", "json")
    assert flagged.returncode == 1
    assert [f["file"].endswith("20260101000002_email.sql") for f in json.loads(flagged.stdout)] == [
        True
    ]


def test_rules_prints_docs_rules_md(tmp_path):
    result = lint(tmp_path, "--rules")
    assert result.returncode == 0
    assert result.stdout == (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text()


def test_lint_settings_timezone_and_search_path(tmp_path):
    folder = tmp_path / "db" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20260101000000_plays.sql").write_text(
        "CREATE SCHEMA app;\nCREATE TABLE app.plays (at timestamp, n integer);\n"
    )
    (folder / "20260102000000_tz.sql").write_text("ALTER TABLE plays ALTER at TYPE timestamptz;\n")
    (tmp_path / "audifi-db.toml").write_text('[lint]\nsearch_path = ["app", "public"]\n')
    assert lint(tmp_path, "db/migrations").returncode == 0  # UTC by default: catalog only
    (tmp_path / "audifi-db.toml").write_text(
        '[lint]\nsearch_path = ["app", "public"]\ntimezone = "Europe/Paris"\n'
    )
    paris = lint(tmp_path, "--format", "json", "db/migrations")
    assert paris.returncode == 1
    [finding] = json.loads(paris.stdout)
    assert finding["message"].startswith("plays.at is timestamp since")  # found through app
    assert "session time zone is not UTC" in finding["message"]
