"""Backups in object storage, against a real S3-compatible HTTP server on loopback (moto in
server mode): multipart upload with its SHA-256 checked, list, download-and-verify,
retention that keeps the newest verified backup."""

import json
import uuid

import boto3
import pytest
from backup_helpers import add_blobs, audifi_project, backups, fill, manifest
from moto.server import ThreadedMotoServer

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "audifi-test",
    "AWS_SECRET_ACCESS_KEY": "audifi-test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint):
    client = boto3.client("s3", endpoint_url=s3_endpoint, **_lower(CREDENTIALS))
    name = f"audifi-backups-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=name)
    return client, name


def _lower(credentials: dict) -> dict:
    return {
        "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
        "region_name": credentials["AWS_DEFAULT_REGION"],
    }


@pytest.fixture
def in_s3(project, deployed_url, tmp_path, bucket, s3_endpoint):
    project.url = deployed_url
    fill(deployed_url)
    audifi_project(project, new_migration=False)
    client, name = bucket
    project.s3, project.bucket, project.folder = client, name, tmp_path / "backups"
    project.s3_env = project.env(
        AUDIFI_DB_BACKUP_DIR=str(project.folder),
        AUDIFI_DB_BACKUP_S3_URL=f"s3://{name}/staging/",
        AUDIFI_DB_BACKUP_S3_ENDPOINT_URL=s3_endpoint,
        **CREDENTIALS,
    )
    return project


def keys(project) -> list[str]:
    listed = project.s3.list_objects_v2(Bucket=project.bucket, Prefix="staging/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_a_dump_over_the_threshold_goes_up_in_parts_with_its_sha256_checked(in_s3):
    add_blobs(in_s3.url, 12)
    env = {**in_s3.s3_env, "AUDIFI_DB_BACKUP_S3_PART_MB": "5"}
    result = in_s3.cli("backup", "--json", env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    (dump,) = backups(in_s3.folder)
    assert dump.stat().st_size > 10 * 1024 * 1024
    key = f"staging/{dump.name}"
    assert keys(in_s3) == sorted([key, key.replace(".dump", ".json")])
    head = in_s3.s3.head_object(Bucket=in_s3.bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ETag"].endswith('-3"')  # three parts of 5 MB
    assert head["ContentLength"] == dump.stat().st_size and head["ChecksumSHA256"]
    stored = json.loads(
        in_s3.s3.get_object(Bucket=in_s3.bucket, Key=key.replace(".dump", ".json"))["Body"].read()
    )
    assert stored["uploaded_to"] == f"s3://{in_s3.bucket}/{key}"
    assert stored["sha256"] == json.loads(result.stdout)["manifest"]["sha256"]


def test_list_download_and_verify_from_the_bucket(in_s3):
    assert in_s3.cli("backup", env=in_s3.s3_env).returncode == 0
    (dump,) = backups(in_s3.folder)
    dump.unlink()  # only the bucket has it now
    listed = json.loads(in_s3.cli("backup", "list", "--json", env=in_s3.s3_env).stdout)
    url = f"s3://{in_s3.bucket}/staging/{dump.name}"
    assert [item["location"] for item in listed] == [url, str(dump)] or [
        item["location"] for item in listed
    ] == [str(dump), url]
    verified = in_s3.cli("backup", "verify", url, "--json", env=in_s3.s3_env)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True
    body = in_s3.s3.get_object(Bucket=in_s3.bucket, Key=f"staging/{dump.with_suffix('.json').name}")
    assert json.loads(body["Body"].read())["verified_at"]
    assert not any(in_s3.folder.glob(".download-*"))  # the downloaded copy is gone


def test_retention_keeps_the_last_and_the_newest_verified(in_s3):
    env = {**in_s3.s3_env, "AUDIFI_DB_BACKUP_KEEP_LAST": "2"}
    for _ in range(2):
        assert in_s3.cli("backup", env=env).returncode == 0
    oldest = backups(in_s3.folder)[0]
    url = f"s3://{in_s3.bucket}/staging/{oldest.name}"
    assert in_s3.cli("backup", "verify", url, env=env).returncode == 0
    assert in_s3.cli("backup", "verify", str(oldest), env=env).returncode == 0
    one = {**env, "AUDIFI_DB_BACKUP_KEEP_LAST": "1"}
    for _ in range(2):
        result = in_s3.cli("backup", env=one)
        assert result.returncode == 0, result.stderr
    newest = backups(in_s3.folder)[-1]
    assert backups(in_s3.folder) == [oldest, newest]
    expected = sorted(f"staging/{p.name}{s}" for p in (oldest, newest) for s in ("", ".json"))
    assert keys(in_s3) == [k.replace(".dump.json", ".json") for k in expected]
    assert "retention deleted" in result.stdout


def test_a_restore_from_the_bucket_deletes_no_backup_there(in_s3):
    """Retention (keep the last 2) does not run after the restore's safety backup: the
    bucket copy being restored, and every other, stay."""
    database = in_s3.url.rsplit("/", 1)[1]
    env = {**in_s3.s3_env, "STAGING_DATABASE_URL": in_s3.url, "AUDIFI_DB_BACKUP_KEEP_LAST": "2"}
    for _ in range(2):
        assert in_s3.cli("backup", "--env", "staging", url=None, env=env).returncode == 0
    stored = keys(in_s3)
    older = min(backups(in_s3.folder), key=lambda p: manifest(p)["created_at"])
    url = f"s3://{in_s3.bucket}/staging/{older.name}"
    result = in_s3.cli("restore", url, "--env", "staging", "--confirm", database, url=None, env=env)
    assert result.returncode == 0, result.stderr
    assert set(stored) < set(keys(in_s3)) and len(keys(in_s3)) == len(stored) + 2


def test_on_a_github_hosted_runner_a_deploy_backs_up_to_the_bucket_or_not_at_all(in_s3):
    in_s3.write("20991231000000", "tallies", "CREATE TABLE IF NOT EXISTS tallies (id int);\n")
    runner = {
        "STAGING_DATABASE_URL": in_s3.url,
        "GITHUB_ACTIONS": "true",
        "RUNNER_ENVIRONMENT": "github-hosted",
    }
    no_bucket = in_s3.env(AUDIFI_DB_BACKUP_DIR=str(in_s3.folder), **runner)
    refused = in_s3.cli("deploy", "--env", "staging", url=None, env=no_bucket)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    (error,) = [
        line for line in refused.stderr.splitlines() if line.startswith("audifi-db: error:")
    ]
    assert "would stay on this GitHub-hosted runner" in error
    assert "AUDIFI_DB_BACKUP_S3_URL" in error and "--skip-backup" in error
    assert "::error title=audifi-db::" in refused.stderr
    assert in_s3.query("SELECT to_regclass('tallies')") == [(None,)] and backups(in_s3.folder) == []
    self_hosted = {**no_bucket, "RUNNER_ENVIRONMENT": "self-hosted"}
    dry = in_s3.cli("deploy", "--env", "staging", "--dry-run", url=None, env=self_hosted)
    assert dry.returncode == 0 and "backup: ok: would dump" in dry.stdout
    uploaded = in_s3.cli("deploy", "--env", "staging", url=None, env={**in_s3.s3_env, **runner})
    assert uploaded.returncode == 0, uploaded.stderr
    assert "::warning" not in uploaded.stderr
    (dump,) = backups(in_s3.folder)
    assert f"staging/{dump.name}" in keys(in_s3)
    assert in_s3.query("SELECT to_regclass('tallies') IS NOT NULL") == [(True,)]
