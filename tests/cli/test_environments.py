"""Environments: URLs from variables, protected environments, reset, the embedded fallback."""

import json
import subprocess
import sys

GOOD = "create table users (id int);\n"


def test_env_staging_reads_its_variable(project):
    project.write("20260101000001", "users", GOOD)
    env = project.env(STAGING_DATABASE_URL=project.url)
    result = project.cli("deploy", "--env", "staging", url=None, env=env)
    assert result.returncode == 0, result.stderr
    assert project.query("select environment from audifi_migrations") == [("staging",)]


def test_settings_file_and_variables(project):
    (project.root / "audifi-db.toml").write_text(
        '[migrations]\ndir = "sql"\n[history]\ntable = "schema_history"\n'
    )
    (project.root / "sql").mkdir()
    (project.root / "sql" / "20260101000001_users.sql").write_text(GOOD)
    result = project.cli("deploy")
    assert result.returncode == 0, result.stderr
    assert project.query("select version from schema_history") == [("20260101000001",)]
    bad = project.cli("status", env=project.env(AUDIFI_DB_LOCK_WAIT_SECONDS="soon"))
    assert bad.returncode == 2 and "AUDIFI_DB_LOCK_WAIT_SECONDS" in bad.stderr


def test_reset_is_refused_for_production_whatever_the_flags(project):
    project.write("20260101000001", "users", GOOD)
    project.cli("deploy")
    env = project.env(PRODUCTION_DATABASE_URL=project.url)
    result = project.cli("reset", "--env", "production", "--force", url=None, env=env)
    assert result.returncode == 2 and "refused for the production" in result.stderr
    forced = project.cli("reset", "--env", "staging", "--force")
    assert forced.returncode == 2 and "refused" in forced.stderr
    assert project.query("select to_regclass('users') is not null") == [(True,)]


def test_dev_is_refused_for_staging(project):
    result = project.cli("dev", "--env", "staging")
    assert result.returncode == 2 and "refused" in result.stderr


def test_reset_drops_and_reapplies(project):
    project.write("20260101000001", "users", GOOD)
    project.cli("deploy")
    project.query("insert into users values (1); create table stray (id int)")
    no_tty = project.cli("reset")
    assert no_tty.returncode == 2 and "--force" in no_tty.stderr
    result = project.cli("reset", "--force")
    assert result.returncode == 0, result.stderr
    assert project.query("select count(*), to_regclass('stray') from users") == [(0, None)]
    assert [r[:2] for r in project.history()] == [("20260101000001", "applied")]


def test_dev_applies_to_the_local_database(project):
    project.write("20260101000001", "users", GOOD)
    result = project.cli("dev")
    assert result.returncode == 0, result.stderr
    assert json.loads(project.cli("status", "--json").stdout)["in_sync"] is True


def test_local_without_database_url_uses_the_embedded_server(embedded_project):
    project = embedded_project
    project.write("20260101000001", "users", GOOD)
    deploy = project.cli("deploy", url=None, timeout=300)
    assert deploy.returncode == 0, deploy.stderr
    assert "embedded PostgreSQL" in deploy.stderr
    status = project.cli("status", "--json", url=None)
    assert json.loads(status.stdout)["in_sync"] is True
    assert (project.root / ".audifi" / "pgdata" / "PG_VERSION").exists()
    stopped = project.cli("embedded", "stop", url=None)
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped (pid ")


def test_reset_asks_on_a_terminal(project):
    project.write("20260101000001", "users", GOOD)
    project.cli("deploy")
    project.query("insert into users values (1)")
    for keys, code, rows in ((b"n\n", 1, 1), (b"\x04", 1, 1), (b"y\n", 0, 0)):
        result = project.on_terminal("reset", keys=keys)
        assert result.returncode == code, result.stderr
        assert "Traceback" not in result.stderr  # Ctrl-D (end of input) is a no
        assert project.query("select count(*) from users") == [(rows,)]


def test_dotenv_in_the_project_root_gives_the_urls_and_the_environment_wins(project, staging_url):
    project.write("20260101000001", "users", GOOD)
    (project.root / ".env").write_text(
        f"# local settings\nDATABASE_URL={project.url}\nSTAGING_DATABASE_URL='{staging_url}'\n"
        "AUDIFI_DB_LOCK_WAIT_SECONDS=oops\n"  # not a URL variable: not read
    )
    sub = project.root / "db"
    result = subprocess.run(
        [sys.executable, "-m", "audifi_db", "deploy"],
        cwd=sub,
        env=project.env(),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert f"local: {project.url}" in result.stderr
    assert project.query("select to_regclass('users') is not null") == [(True,)]
    staging = project.cli("status", "--env", "staging", url=None)
    assert f"staging: {staging_url}" in staging.stderr and staging.returncode == 1
    env = project.env(STAGING_DATABASE_URL=project.url)
    wins = project.cli("status", "--env", "staging", url=None, env=env)
    assert f"staging: {project.url}" in wins.stderr and wins.returncode == 0


def test_order_allow_applies_an_older_pending_migration_and_records_why(project):
    project.write("20260101000002", "later", GOOD)
    assert project.cli("deploy").returncode == 0
    project.write("20260101000001", "older", "create table older (id int);\n")
    assert project.cli("deploy").returncode == 1  # strict by default
    (project.root / "audifi-db.toml").write_text('[migrations]\norder = "allow"\n')
    result = project.cli("deploy")
    assert result.returncode == 0, result.stderr
    [(notes,)] = project.query(
        "select notes from audifi_migrations where version = '20260101000001'"
    )
    assert notes["allow_out_of_order"]["reason"] == '[migrations] order = "allow"'
    (project.root / "audifi-db.toml").write_text('[migrations]\norder = "lenient"\n')
    bad = project.cli("status")
    assert bad.returncode == 2 and "[migrations] order = 'lenient' is not one of" in bad.stderr
