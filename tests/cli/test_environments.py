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


def test_local_without_database_url_uses_the_embedded_server(project):
    project.write("20260101000001", "users", GOOD)
    deploy = project.cli("deploy", url=None, timeout=300)
    assert deploy.returncode == 0, deploy.stderr
    assert "embedded PostgreSQL" in deploy.stderr
    status = project.cli("status", "--json", url=None)
    assert json.loads(status.stdout)["in_sync"] is True
    assert (project.root / ".audifi" / "pgdata" / "PG_VERSION").exists()
    stop = [
        sys.executable,
        "-c",
        "import pgserver,sys; pgserver.get_server(sys.argv[1], cleanup_mode='stop').cleanup()",
        str(project.root / ".audifi" / "pgdata"),
    ]
    subprocess.run(stop, capture_output=True, timeout=60)


def test_reset_asks_on_a_terminal(project):
    project.write("20260101000001", "users", GOOD)
    project.cli("deploy")
    project.query("insert into users values (1)")
    for keys, code, rows in ((b"n\n", 1, 1), (b"\x04", 1, 1), (b"y\n", 0, 0)):
        result = project.on_terminal("reset", keys=keys)
        assert result.returncode == code, result.stderr
        assert "Traceback" not in result.stderr  # Ctrl-D (end of input) is a no
        assert project.query("select count(*) from users") == [(rows,)]
