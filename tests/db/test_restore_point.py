"""`[backup] method = "restore-point"` on a real cluster archiving WAL to a local folder:
archiving is checked, a named restore point is created before the first migration and
reaches the archive after the run; `restore` prints the recovery settings."""

import json
import subprocess

import psycopg2
import pytest
from backup_helpers import NEW_VERSION, REPO, audifi_project, execute
from clusters import BIN, Cluster


@pytest.fixture(scope="module")
def archiving():
    cluster = Cluster()
    archive = cluster.folder("archive")
    cluster.settings = {
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_command": f"'test ! -f {archive}/%f && cp %p {archive}/%f'",
    }
    cluster.archive = archive
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def on_archiving(project, archiving, tmp_path):
    from audifi_db import operations
    from audifi_db.config import load_settings

    name = f"points_{tmp_path.name[-12:].replace('-', '_')}"
    execute(archiving.url(), f'CREATE DATABASE "{name}"')
    project.url = archiving.url(name)
    operations.deploy(load_settings("local", project.url, cwd=REPO, environ={}))
    audifi_project(project)
    project.folder = tmp_path / "backups"
    project.point_env = project.env(
        STAGING_DATABASE_URL=project.url,
        AUDIFI_DB_BACKUP_DIR=str(project.folder),
        AUDIFI_DB_BACKUP_METHOD="restore-point",
        AUDIFI_DB_BACKUP_ARCHIVE_WAIT_SECONDS="10",
    )
    yield project
    execute(archiving.url(), f'DROP DATABASE "{name}" WITH (FORCE)')


def test_a_restore_point_is_made_before_the_run_and_archived_after_it(on_archiving, archiving):
    result = on_archiving.cli("deploy", "--env", "staging", url=None, env=on_archiving.point_env)
    assert result.returncode == 0, result.stderr
    (path,) = on_archiving.folder.glob("*.json")
    assert not list(on_archiving.folder.glob("*.dump"))
    recorded = json.loads(path.read_text())
    point = recorded["restore_point"]
    (row,) = on_archiving.query(
        "SELECT notes, run_id FROM audifi_migrations WHERE version = %s", (NEW_VERSION,)
    )
    assert point["name"] == f"audifi-db-{row[1]}" == row[0]["backup"]["restore_point"]
    assert NEW_VERSION not in recorded["applied_versions"] and recorded["method"] == "restore-point"
    segment = archiving.archive / point["wal_file"]
    assert segment.exists()  # switched and archived after the run
    waldump = subprocess.run(
        [str(BIN / "pg_waldump"), str(segment)], capture_output=True, text=True
    )
    assert "RESTORE_POINT" in waldump.stdout and point["name"] in waldump.stdout
    printed = on_archiving.cli(
        "restore", str(path), "--env", "staging", url=None, env=on_archiving.point_env
    )
    assert printed.returncode == 0, printed.stderr
    assert f"recovery_target_name = '{point['name']}'" in printed.stdout
    assert on_archiving.query("SELECT to_regclass('royalty_splits') IS NOT NULL") == [(True,)]


def test_an_on_demand_restore_point_reaches_the_archive_before_the_command_ends(
    on_archiving, archiving
):
    result = on_archiving.cli("backup", "--env", "staging", url=None, env=on_archiving.point_env)
    assert result.returncode == 0, result.stderr
    (path,) = on_archiving.folder.glob("*.json")
    point = json.loads(path.read_text())["restore_point"]
    segment = archiving.archive / point["wal_file"]
    assert segment.exists()  # switched and archived by the command itself
    waldump = subprocess.run(
        [str(BIN / "pg_waldump"), str(segment)], capture_output=True, text=True
    )
    assert "RESTORE_POINT" in waldump.stdout and point["name"] in waldump.stdout


def test_failing_archiving_refuses_the_run(on_archiving, archiving):
    admin = psycopg2.connect(archiving.url())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("ALTER SYSTEM SET archive_command = 'false'")
        cur.execute("SELECT pg_reload_conf()")
    try:
        result = on_archiving.cli(
            "deploy", "--env", "staging", url=None, env=on_archiving.point_env
        )
    finally:
        with admin.cursor() as cur:
            cur.execute("ALTER SYSTEM RESET archive_command")
            cur.execute("SELECT pg_reload_conf()")
        admin.close()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "WAL archiving is failing" in result.stderr and "--skip-backup" in result.stderr
    assert on_archiving.query("SELECT to_regclass('royalty_splits')") == [(None,)]
    assert list(on_archiving.folder.glob("*")) == []


def test_without_archiving_a_restore_point_is_refused_and_nothing_applied(project, tmp_path):
    """A cluster with archive_mode off (PostgreSQL's default): the run is refused before
    any restore point, with nothing applied and no manifest."""
    plain = Cluster().start()
    try:
        execute(plain.url(), "CREATE DATABASE points")
        project.url = plain.url("points")
        project.write("20991231000000", "tallies", "CREATE TABLE tallies (id int);\n")
        folder = tmp_path / "backups"
        env = project.env(
            STAGING_DATABASE_URL=project.url,
            AUDIFI_DB_BACKUP_DIR=str(folder),
            AUDIFI_DB_BACKUP_METHOD="restore-point",
            AUDIFI_DB_BACKUP_ARCHIVE_WAIT_SECONDS="5",
        )
        result = project.cli("deploy", "--env", "staging", url=None, env=env)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        (error,) = [line for line in result.stderr.splitlines() if "error:" in line]
        assert "archive_mode is off: a restore point needs continuous archiving" in error
        assert 'method = "dump"' in error and "--skip-backup" in error
        assert project.query("SELECT to_regclass('tallies')") == [(None,)]
        assert not folder.exists() or list(folder.iterdir()) == []
    finally:
        plain.stop()
