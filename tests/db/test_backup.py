"""The backup guard through the real CLI, against the real server, with thousands of rows:
the dump is taken before the first migration, restores to exactly the same rows, and a
backup that cannot be taken stops the deploy with nothing applied and nothing left."""

import json
import os
import re
import resource
import subprocess
import sys

import psycopg2
import pytest
from backup_helpers import (
    NEW_VERSION,
    audifi_project,
    backups,
    execute,
    fill,
    fingerprint,
    manifest,
    staging_env,
    wait_for_locked_backup,
)
from clusters import BIN, free_port
from conftest import REPO


@pytest.fixture
def staged(project, deployed_url, tmp_path):
    """AudiFi's five migrations applied, thousands of rows, one new migration pending."""
    project.url = deployed_url
    fill(deployed_url)
    return audifi_project(project)


def history(project) -> list[tuple]:
    return project.query(
        "SELECT version, state, notes, run_id FROM audifi_migrations WHERE kind = 'migration' "
        "ORDER BY id"
    )


def test_staging_deploy_dumps_before_the_first_migration(staged, tmp_path):
    before = fingerprint(staged.url)
    folder = tmp_path / "backups"
    result = staged.cli(
        "deploy", "--env", "staging", "--json", url=None, env=staging_env(staged, folder)
    )
    assert result.returncode == 0, result.stderr
    names = [json.loads(line)["event"] for line in result.stdout.splitlines()]
    ahead = names[: names.index("backup_started")]
    assert ahead.count("guard_passed") == 3 and "lock_acquired" in ahead  # plan, lint, promotion
    assert names.index("backup_started") < names.index("backup_finished")
    assert names.index("backup_finished") < names.index("migration_started")
    (dump,) = backups(folder)
    assert dump.name.startswith(f"{staged.url.rsplit('/', 1)[1]}-staging-")
    assert dump.name.endswith(f"-before-{NEW_VERSION}.dump")
    listing = subprocess.run(
        [str(BIN / "pg_restore"), "--list", str(dump)], capture_output=True, text=True
    )
    assert " users " in listing.stdout and "royalty_splits" not in listing.stdout
    recorded = manifest(dump)
    assert recorded["row_counts"] == {table: count for table, (count, _) in before.items()}
    assert recorded["row_counts"]["public.users"] == 3000
    assert NEW_VERSION not in recorded["applied_versions"] and len(
        recorded["applied_versions"]
    ) == len(list((REPO / "db" / "migrations").glob("*.sql")))
    assert recorded["before_version"] == NEW_VERSION
    assert staged.query("SELECT to_regclass('royalty_splits') IS NOT NULL") == [(True,)]
    (row,) = [r for r in history(staged) if r[0] == NEW_VERSION]
    assert (
        row[2]["backup"]["file"] == str(dump) and row[2]["backup"]["sha256"] == recorded["sha256"]
    )
    assert recorded["run_id"] == row[3] and recorded["database"] == dump.name.split("-")[0]
    assert "pg_dump" in recorded["pg_dump"] and recorded["pg_dump_version"]


def test_the_dump_restores_to_exactly_the_same_rows(staged, tmp_path, db_url, server_url):
    before = fingerprint(staged.url)
    folder = tmp_path / "backups"
    assert (
        staged.cli(
            "deploy", "--env", "staging", url=None, env=staging_env(staged, folder)
        ).returncode
        == 0
    )
    (dump,) = backups(folder)
    from conftest import admin_execute, with_database

    fresh = with_database(server_url, f"{db_url.rsplit('/', 1)[1]}_copy")
    admin_execute(server_url, f'CREATE DATABASE "{fresh.rsplit("/", 1)[1]}"')
    try:
        restored = staged.cli("restore", str(dump), url=fresh)
        assert restored.returncode == 0, restored.stderr
        assert fingerprint(fresh) == before
        status = staged.cli("status", "--json", url=fresh)
        states = {m["version"]: m["state"] for m in json.loads(status.stdout)["migrations"]}
        assert states.pop(NEW_VERSION) == "pending" and set(states.values()) == {"applied"}
    finally:
        admin_execute(
            server_url, f'DROP DATABASE IF EXISTS "{fresh.rsplit("/", 1)[1]}" WITH (FORCE)'
        )


def test_nothing_pending_takes_no_backup_and_a_dry_run_takes_none(staged, tmp_path):
    folder = tmp_path / "backups"
    env = staging_env(staged, folder)
    dry = staged.cli("deploy", "--env", "staging", "--dry-run", url=None, env=env)
    assert dry.returncode == 0 and "backup: ok: would dump" in dry.stdout and not folder.exists()
    first = staged.cli("deploy", "--env", "staging", url=None, env=env)
    assert first.returncode == 0
    assert re.search(r"backup: dumping \S+ to \S+ with pg_dump \d+\.\d+ \(/", first.stderr)
    again = staged.cli("deploy", "--env", "staging", url=None, env=env)
    assert again.returncode == 0 and len(backups(folder)) == 1


def test_local_deploys_take_no_backup_unless_asked(staged, tmp_path):
    folder = tmp_path / "backups"
    env = staged.env(AUDIFI_DB_BACKUP_DIR=str(folder))
    assert staged.cli("deploy", env=env).returncode == 0
    assert backups(folder) == []


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def _failing_backup(kind: str, staged, tmp_path):
    folder = tmp_path / "backups"
    if kind == "no pg_dump":
        empty = tmp_path / "empty"
        empty.mkdir()
        return staging_env(staged, folder, AUDIFI_DB_BACKUP_BIN_DIR=str(empty)), None
    if kind == "unwritable folder":
        (tmp_path / "a-file").write_text("not a folder")
        return staging_env(staged, tmp_path / "a-file" / "backups"), None
    if kind == "disk full":
        return staging_env(staged, folder), _limit_file_size
    closed = f"http://127.0.0.1:{free_port()}"
    return staging_env(
        staged,
        folder,
        AUDIFI_DB_BACKUP_S3_URL="s3://audifi-backups/staging/",
        AUDIFI_DB_BACKUP_S3_ENDPOINT_URL=closed,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
    ), None


@pytest.mark.parametrize(
    "kind", ["no pg_dump", "unwritable folder", "disk full", "unreachable bucket"]
)
def test_a_failing_backup_blocks_the_deploy_with_nothing_applied(kind, staged, tmp_path):
    env, limit = _failing_backup(kind, staged, tmp_path)
    command = [sys.executable, "-m", "audifi_db", "deploy", "--env", "staging"]
    result = subprocess.run(
        command,
        cwd=staged.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        preexec_fn=limit,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "backup of" in errors[0] and "--skip-backup" in errors[0]
    expected = {
        "no pg_dump": "no pg_dump found",
        "unwritable folder": "cannot create the backup folder",
        "disk full": "SIGXFSZ",
        "unreachable bucket": "s3://audifi-backups/staging/",
    }[kind]
    assert expected in errors[0]
    if kind == "disk full":
        assert "removed the partial file" in errors[0]
    assert staged.query("SELECT to_regclass('royalty_splits')") == [(None,)]
    assert NEW_VERSION not in [row[0] for row in history(staged)]
    leftovers = (
        [p for p in (tmp_path / "backups").glob("*")] if (tmp_path / "backups").is_dir() else []
    )
    assert leftovers == []


def test_skip_backup_is_recorded_in_every_row_of_the_run(staged, tmp_path):
    staged.write(
        "20991231000100", "payouts", "CREATE TABLE IF NOT EXISTS payouts (id bigint PRIMARY KEY);\n"
    )
    env = staging_env(staged, tmp_path / "backups", GITHUB_ACTOR="octocat")
    result = staged.cli(
        "deploy",
        "--env",
        "staging",
        "--skip-backup",
        "hotfix, dump too slow",
        "--json",
        url=None,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    (override,) = [e for e in events if e["event"] == "guard_overridden"]
    assert override["guard"] == "backup" and override["reason"] == "hotfix, dump too slow"
    rows = [r for r in history(staged) if r[0] >= NEW_VERSION]
    assert len(rows) == 2 and len({r[3] for r in rows}) == 1
    for row in rows:
        assert row[2]["skip_backup"]["reason"] == "hotfix, dump too slow"
        assert row[2]["skip_backup"]["by"].startswith("octocat@")
    assert backups(tmp_path / "backups") == []


def test_counts_and_dump_share_one_snapshot_while_rows_keep_coming(staged, tmp_path):
    """pg_dump waits for a lock on users after importing the snapshot; rows committed then
    are in neither the dump nor the counts, and the dump verifies against them."""
    folder = tmp_path / "backups"
    env = staged.env(AUDIFI_DB_BACKUP_DIR=str(folder))
    execute(staged.url, "CREATE TABLE tally AS SELECT generate_series(1, 1000) AS id")
    blocker = psycopg2.connect(staged.url)
    with blocker.cursor() as cur:
        cur.execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
    backing_up = staged.spawn("backup", env=env)
    try:
        wait_for_locked_backup(staged)
        execute(
            staged.url,
            "SET statement_timeout = '20s'; INSERT INTO tally SELECT generate_series(1, 250)",
        )
    finally:
        blocker.rollback()
        blocker.close()
    out, err = backing_up.communicate(timeout=120)
    assert backing_up.returncode == 0, err
    assert staged.query("SELECT count(*) FROM tally") == [(1250,)]
    (dump,) = backups(folder)
    assert manifest(dump)["row_counts"]["public.tally"] == 1000
    verified = staged.cli("backup", "verify", str(dump), env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_producer_that_dies_half_way_gets_nothing_committed(db_url):
    from audifi_db.backup import process
    from audifi_db.backup.commands import psql_args, transaction

    producer = ["sh", "-c", "echo 'CREATE TABLE half (id int);'; exit 3"]
    before, after = transaction(["CREATE TABLE started (id int)"])
    consumer = psql_args(BIN / "psql", db_url)
    with process.Running(
        [producer, consumer], dict(os.environ), prologue=before, epilogue=after
    ) as running:
        produced, consumed = running.wait()
    assert produced.returncode == 3 and consumed.ok
    assert execute(db_url, "SELECT to_regclass('half'), to_regclass('started')") == [(None, None)]


def test_skip_backup_without_a_reason_is_refused(staged, tmp_path):
    env = staging_env(staged, tmp_path / "backups")
    result = staged.cli("deploy", "--env", "staging", "--skip-backup", " ", url=None, env=env)
    assert result.returncode == 2 and "--skip-backup needs a reason" in result.stderr
    assert staged.query("SELECT to_regclass('royalty_splits')") == [(None,)]
