"""`backup verify` restores into a scratch database and compares with the manifest;
`restore` replaces a database in one transaction, and refuses production unconfirmed."""

import json
import os
import shutil
import stat
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from backup_helpers import (
    audifi_project,
    backups,
    execute,
    fill,
    fingerprint,
    manifest,
    wait_for_locked_backup,
)
from conftest import admin_execute, with_database


@pytest.fixture
def backed_up(project, deployed_url, tmp_path):
    """A filled AudiFi database, its project, and a backup of it in tmp_path/backups."""
    project.url = deployed_url
    fill(deployed_url)
    audifi_project(project, new_migration=False)
    project.folder = tmp_path / "backups"
    project.backup_env = project.env(AUDIFI_DB_BACKUP_DIR=str(project.folder))
    result = project.cli("backup", env=project.backup_env)
    assert result.returncode == 0, result.stderr
    (project.dump,) = backups(project.folder)
    return project


def verify(project, path=None):
    result = project.cli(
        "backup", "verify", str(path or project.dump), "--json", env=project.backup_env
    )
    assert "Traceback" not in result.stderr
    return result, json.loads(result.stdout)


def scratch_exists(project, name: str) -> bool:
    return bool(project.query("SELECT 1 FROM pg_database WHERE datname = %s", (name,)))


def test_a_good_backup_verifies_and_is_marked_verified(backed_up):
    result, report = verify(backed_up)
    assert result.returncode == 0 and report["ok"] and report["differences"] == []
    assert report["rows"] == sum(manifest(backed_up.dump)["row_counts"].values()) >= 15000
    assert manifest(backed_up.dump)["verified_at"]
    assert not scratch_exists(backed_up, report["scratch_database"])
    listed = json.loads(backed_up.cli("backup", "list", "--json", env=backed_up.backup_env).stdout)
    assert listed[0]["verified_at"] and listed[0]["location"] == str(backed_up.dump)
    logged = backed_up.cli(
        "backup", "verify", str(backed_up.dump), "--log-format", "json", env=backed_up.backup_env
    )
    lines = [json.loads(line) for line in logged.stderr.splitlines()]
    (event,) = [line for line in lines if line.get("event") == "backup_verified"]
    assert event["ok"] is True and event["differences"] == []


def test_a_dump_and_its_manifest_are_their_owners_alone(backed_up, tmp_path):
    """They hold every row and the schema: mode 0600 under the common umask 022, also once
    verify has rewritten the manifest."""
    env = backed_up.env(AUDIFI_DB_BACKUP_DIR=str(tmp_path / "private"))

    def cli(*args):
        return subprocess.run(
            backed_up.command(args),
            cwd=backed_up.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=lambda: os.umask(0o022),
        )

    assert cli("backup").returncode == 0
    (dump,) = backups(tmp_path / "private")
    files = (dump, dump.with_suffix(".json"))
    assert [stat.S_IMODE(p.stat().st_mode) for p in files] == [0o600, 0o600]
    assert cli("backup", "verify", str(dump)).returncode == 0
    assert manifest(dump)["verified_at"]
    assert [stat.S_IMODE(p.stat().st_mode) for p in files] == [0o600, 0o600]


def _age(dump, days: int) -> None:
    """Make a backup look `days` old, as its manifest tells retention."""
    path = dump.with_suffix(".json")
    recorded = json.loads(path.read_text())
    created = datetime.now(UTC) - timedelta(days=days)
    recorded["created_at"] = created.isoformat().replace("+00:00", "Z")
    path.write_text(json.dumps(recorded))


def test_keep_days_deletes_older_backups_but_the_newest_verified(backed_up):
    """keep_days = 7 in a real folder: of backups 10, 10 and 3 days old, the next backup
    deletes the unverified 10-day-old one only (the verified one is the newest verified)."""
    verified = backed_up.dump
    assert verify(backed_up)[0].returncode == 0
    _age(verified, 10)
    for _ in range(2):
        assert backed_up.cli("backup", env=backed_up.backup_env).returncode == 0
    old, young = [p for p in backups(backed_up.folder) if p != verified]
    _age(old, 10)
    _age(young, 3)
    env = {**backed_up.backup_env, "AUDIFI_DB_BACKUP_KEEP_DAYS": "7"}
    result = backed_up.cli("backup", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [f"retention deleted {backed_up.folder}/{old.stem}"]
    (new,) = [p for p in backups(backed_up.folder) if p not in (verified, old, young)]
    assert backups(backed_up.folder) == sorted([verified, young, new])
    assert not old.with_suffix(".json").exists()


def test_verify_catches_a_truncated_dump(backed_up):
    data = backed_up.dump.read_bytes()
    backed_up.dump.write_bytes(data[: len(data) // 2])
    result, report = verify(backed_up)
    assert result.returncode == 1 and not report["ok"]
    assert "truncated" in report["differences"][0]
    assert any("pg_restore failed" in line for line in report["differences"])
    assert not scratch_exists(backed_up, report["scratch_database"])
    assert manifest(backed_up.dump)["verified_at"] is None


def test_verify_catches_a_manifest_whose_counts_differ(backed_up):
    path = backed_up.dump.with_suffix(".json")
    recorded = json.loads(path.read_text())
    recorded["row_counts"]["public.users"] += 1
    path.write_text(json.dumps(recorded))
    result, report = verify(backed_up)
    assert result.returncode == 1
    assert report["differences"] == ["table public.users: 3001 rows in the manifest, 3000 restored"]
    text = backed_up.cli("backup", "verify", str(backed_up.dump), env=backed_up.backup_env)
    assert "DIFFERS" in text.stdout and "public.users: 3001 rows in the manifest" in text.stdout


def test_verify_catches_a_dump_of_another_database(backed_up, server_url, tmp_path):
    other = with_database(server_url, f"audifi_other_{uuid.uuid4().hex[:12]}")
    admin_execute(server_url, f'CREATE DATABASE "{other.rsplit("/", 1)[1]}"')
    try:
        execute(other, "CREATE TABLE users (id int); INSERT INTO users VALUES (1), (2)")
        env = backed_up.env(AUDIFI_DB_BACKUP_DIR=str(tmp_path / "other"))
        assert backed_up.cli("backup", env=env, url=other).returncode == 0
    finally:
        admin_execute(server_url, f'DROP DATABASE "{other.rsplit("/", 1)[1]}" WITH (FORCE)')
    (foreign,) = backups(tmp_path / "other")
    shutil.copy(foreign, backed_up.dump)  # the file swapped, its size and sha256 "fixed"
    path = backed_up.dump.with_suffix(".json")
    recorded = json.loads(path.read_text())
    recorded.update(sha256=manifest(foreign)["sha256"], size_bytes=manifest(foreign)["size_bytes"])
    path.write_text(json.dumps(recorded))
    result, report = verify(backed_up)
    assert result.returncode == 1
    assert "table public.users: 3000 rows in the manifest, 2 restored" in report["differences"]
    assert (
        "table public.masters: 600 rows in the manifest, missing after restore"
        in (report["differences"])
    )
    assert (
        "schema: the restored schema's digest differs from the manifest's" in report["differences"]
    )


def test_restore_to_production_needs_the_database_name_typed_out(backed_up):
    before = fingerprint(backed_up.url)
    database = backed_up.url.rsplit("/", 1)[1]
    env = {**backed_up.backup_env, "PRODUCTION_DATABASE_URL": backed_up.url}
    for confirm in ([], ["--confirm", "audifi_prod"]):
        result = backed_up.cli(
            "restore", str(backed_up.dump), "--env", "production", *confirm, url=None, env=env
        )
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"--confirm {database}" in result.stderr and "nothing was changed" in result.stderr
    assert fingerprint(backed_up.url) == before
    assert backups(backed_up.folder) == [backed_up.dump]  # not even a safety backup


def test_restore_to_production_takes_a_backup_first_and_brings_the_rows_back(backed_up):
    at_backup = fingerprint(backed_up.url)
    execute(backed_up.url, "DELETE FROM recovery_codes; CREATE TABLE stray (id int)")
    changed = fingerprint(backed_up.url)
    database = backed_up.url.rsplit("/", 1)[1]
    env = {**backed_up.backup_env, "PRODUCTION_DATABASE_URL": backed_up.url}
    result = backed_up.cli(
        "restore",
        str(backed_up.dump),
        "--env",
        "production",
        "--confirm",
        database,
        url=None,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert fingerprint(backed_up.url) == at_backup
    (safety,) = [p for p in backups(backed_up.folder) if p != backed_up.dump]
    assert safety.name.endswith("-before-restore.dump")
    assert manifest(safety)["row_counts"] == {t: c for t, (c, _) in changed.items()}


def test_a_restore_deletes_no_backup_not_even_the_one_it_restores(backed_up):
    """Retention (keep the last 2) does not run after the restore's own safety backup: the
    older backup being restored, and every other, are still there afterwards."""
    database = backed_up.url.rsplit("/", 1)[1]
    env = {
        **backed_up.backup_env,
        "STAGING_DATABASE_URL": backed_up.url,
        "AUDIFI_DB_BACKUP_KEEP_LAST": "2",
    }
    at_older = fingerprint(backed_up.url)
    assert backed_up.cli("backup", "--env", "staging", url=None, env=env).returncode == 0
    execute(backed_up.url, "DELETE FROM recovery_codes")
    assert backed_up.cli("backup", "--env", "staging", url=None, env=env).returncode == 0
    before = backups(backed_up.folder)
    staging = [p for p in before if manifest(p)["environment"] == "staging"]
    older = min(staging, key=lambda p: manifest(p)["created_at"])
    result = backed_up.cli(
        "restore", str(older), "--env", "staging", "--confirm", database, url=None, env=env
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert fingerprint(backed_up.url) == at_older
    after = backups(backed_up.folder)
    assert set(before) < set(after) and len(after) == len(before) + 1  # + the safety backup


def test_a_restore_reads_the_file_it_checked_even_if_it_is_deleted_meanwhile(backed_up):
    """The dump is deleted (as a concurrent `backup`'s retention might) while the restore's
    safety backup waits for a lock: the restore still restores what it checked."""
    at_backup = fingerprint(backed_up.url)
    execute(backed_up.url, "DELETE FROM recovery_codes")
    database = backed_up.url.rsplit("/", 1)[1]
    env = {**backed_up.backup_env, "STAGING_DATABASE_URL": backed_up.url}
    blocker = psycopg2.connect(backed_up.url)
    with blocker.cursor() as cur:
        cur.execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
    restoring = backed_up.spawn(
        "restore", str(backed_up.dump), "--env", "staging", "--confirm", database, env=env
    )
    try:
        wait_for_locked_backup(backed_up)
        backed_up.dump.unlink()
        backed_up.dump.with_suffix(".json").unlink()
    finally:
        blocker.rollback()
        blocker.close()
    out, err = restoring.communicate(timeout=120)
    assert restoring.returncode == 0 and "Traceback" not in err, err
    assert fingerprint(backed_up.url) == at_backup


def test_a_restore_that_fails_half_way_changes_nothing(backed_up, server_url, tmp_path):
    ghost = f"audifi_ghost_{uuid.uuid4().hex[:8]}"
    execute(server_url, f"CREATE ROLE {ghost}")
    try:
        execute(
            backed_up.url, f"CREATE TABLE haunted (id int); ALTER TABLE haunted OWNER TO {ghost}"
        )
        folder = tmp_path / "ghostly"
        env = backed_up.env(AUDIFI_DB_BACKUP_DIR=str(folder))
        assert backed_up.cli("backup", env=env).returncode == 0
        (dump,) = backups(folder)
        execute(backed_up.url, "DROP TABLE haunted")
        execute(server_url, f"DROP ROLE {ghost}")
        before = fingerprint(backed_up.url)
        result = backed_up.cli("restore", str(dump), env=env)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert ghost in result.stderr and "left as it was" in result.stderr
        assert fingerprint(backed_up.url) == before
    finally:
        execute(server_url, f"DROP ROLE IF EXISTS {ghost}")
