"""`[backup] method = "restore-point"` on a real cluster archiving WAL to a local folder:
archiving is checked, a named restore point is created before the first migration and
reaches the archive after the run; `restore` prints the recovery settings."""

import json
import subprocess
import time

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
    assert "warning" not in result.stderr  # no restore point was made: the error says it all
    assert on_archiving.query("SELECT to_regclass('royalty_splits')") == [(None,)]
    assert list(on_archiving.folder.glob("*")) == []


BREAK_ARCHIVING = """-- audifi-db: no-transaction
ALTER SYSTEM SET archive_command = 'false';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
"""


def test_a_restore_point_archiving_fails_to_reach_after_the_run_is_a_warning(
    on_archiving, archiving
):
    """The restore point's own lines stand for the backup guard's note; archiving that
    breaks during the run (the migration breaks it) is a warning once the run is done."""
    on_archiving.write("20991231000001", "break_archiving", BREAK_ARCHIVING)
    env = {**on_archiving.point_env, "AUDIFI_DB_BACKUP_ARCHIVE_WAIT_SECONDS": "5"}
    try:
        result = on_archiving.cli("deploy", "--env", "staging", url=None, env=env)
    finally:
        _archive_again(archiving)
    assert result.returncode == 0, result.stderr
    notes = [line.removeprefix("audifi-db: ") for line in result.stderr.splitlines()]
    (point,) = [n.rpartition(" ")[2] for n in notes if n.startswith("backup: WAL archiving works")]
    assert any(n.startswith(f"backup: {point} (restore point, ") for n in notes), notes
    assert not any(n.startswith("backup: restore-point backup") for n in notes)  # the note
    (warning,) = [n for n in notes if n.startswith("warning:")]
    assert warning.startswith(f"warning: restore point {point} may not be archived: "), warning


def _archive_again(archiving) -> None:
    """archive_command back, and the WAL it refused archived, for the tests after."""
    admin = psycopg2.connect(archiving.url())
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("ALTER SYSTEM RESET archive_command")
            cur.execute("SELECT pg_reload_conf(), pg_switch_wal()")
            for _ in range(150):
                cur.execute(
                    "SELECT last_failed_time IS NULL OR last_archived_time > last_failed_time "
                    "FROM pg_stat_archiver"
                )
                if cur.fetchone()[0]:
                    return
                time.sleep(0.2)
    finally:
        admin.close()


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
