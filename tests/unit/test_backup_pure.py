"""The pure parts of backups: arguments, passwords, names, versions, retention, manifests,
S3 checksums, schema normalisation, settings."""

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audifi_db.backup.commands import (
    backup_name,
    dump_args,
    psql_args,
    restore_args,
    restore_point_name,
    restore_sql_args,
    transaction,
    with_database,
)
from audifi_db.backup.manifest import Manifest, differences, parse, schema_digest
from audifi_db.backup.retention import to_delete
from audifi_db.backup.s3 import folder_and_file, s3_checksum, split_url
from audifi_db.config import load_settings
from audifi_db.errors import ConfigError, ToolError
from audifi_db.pgtools import Tool, choose, parse_version, pgpass_line, without_password
from audifi_db.postgres.snapshot import normalized

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "plain", "password"),
    [
        ("postgresql://app:pw@db:5432/audifi", "postgresql://app@db:5432/audifi", "pw"),
        ("postgresql://app:p%40ss%3Aw@db/audifi", "postgresql://app@db/audifi", "p@ss:w"),
        ("postgresql://app:p@ss@db/audifi", "postgresql://app@db/audifi", "p@ss"),
        (
            "postgresql://app@db/audifi?sslmode=require",
            "postgresql://app@db/audifi?sslmode=require",
            None,
        ),
        (
            "postgresql://app@db/audifi?password=x&sslmode=require",
            "postgresql://app@db/audifi?sslmode=require",
            "x",
        ),
    ],
)
def test_without_password_keeps_everything_but_the_password(url, plain, password):
    assert without_password(url) == (plain, password)


def test_arguments_never_carry_a_password():
    plain, secret = without_password("postgresql://app:Top%20Secret@db/audifi")
    args = dump_args(Path("/bin/pg_dump"), plain, Path("/b/x.dump"), "00000003-1")
    args += restore_args(Path("/bin/pg_restore"), Path("/b/x.dump"), plain, jobs=4, scratch=True)
    args += psql_args(Path("/bin/psql"), plain)
    assert secret == "Top Secret" and not any("Secret" in a for a in args)
    assert "--format=custom" in args and "--snapshot=00000003-1" in args and "--jobs=4" in args
    assert "--no-owner" in args and "--no-password" in args
    assert restore_sql_args(Path("/bin/pg_restore"))[-1] == "--file=-"


def test_pgpass_line_escapes_colons_and_backslashes():
    assert pgpass_line("a:b\\c") == "*:*:*:*:a\\:b\\\\c\n"


def test_with_database_replaces_the_path_and_any_dbname():
    assert with_database("postgresql://u@h:1/a?dbname=a&sslmode=require", "b") == (
        "postgresql://u@h:1/b?sslmode=require"
    )


def test_the_transaction_commits_only_at_the_end():
    before, after = transaction(['DROP SCHEMA IF EXISTS "public" CASCADE'])
    assert (
        before == b'BEGIN;\nDROP SCHEMA IF EXISTS "public" CASCADE;\n' and after == b"\nCOMMIT;\n"
    )


def test_backup_names():
    when = datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC)
    assert backup_name("audifi_prod", "production", when, "before-20261201000000") == (
        "audifi_prod-production-20261201T093005Z-before-20261201000000"
    )
    assert backup_name("a b/c", "x", when, "on-demand") == "a_b_c-x-20261201T093005Z-on-demand"


def test_restore_point_names_fit_postgresqls_63_bytes_and_stay_distinct():
    run = "20261201T093005Z-1a2b3c4d"
    assert restore_point_name(run) == f"audifi-db-{run}"
    when = datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC)
    long = [
        backup_name("audifi_production_eu", "production", when, t)
        for t in ("on-demand", "on-demand-2")
    ]
    points = [restore_point_name(name) for name in long]
    assert all(len(p) == 63 and p.startswith("audifi-db-audifi_production_eu-") for p in points)
    assert points[0] != points[1]


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("pg_dump (PostgreSQL) 16.2", (16, 2)),
        ("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)", (15, 20)),
        ("pg_restore (PostgreSQL) 17beta1", (17, 0)),
        ("something else", None),
    ],
)
def test_parse_version(text, version):
    assert parse_version(text) == version


def test_choose_takes_the_first_new_enough_and_refuses_older_naming_both():
    old, new = Tool(Path("/usr/bin/pg_dump"), (15, 4)), Tool(Path("/venv/pg_dump"), (16, 2))
    assert choose("pg_dump", [old, new], 16, "on PATH") is new
    assert choose("pg_dump", [old, new], 15, "on PATH") is old
    with pytest.raises(ToolError) as refused:
        choose("pg_dump", [old], 16, "on PATH")
    assert "found 15.4 at /usr/bin/pg_dump" in refused.value.message
    assert "the server is 16" in refused.value.message
    with pytest.raises(ToolError, match="no pg_dump found"):
        choose("pg_dump", [], 16, "on PATH")


def _manifest(name: str, age_days: float, verified: bool = False, **extra) -> Manifest:
    created = NOW - timedelta(days=age_days)
    return Manifest(
        name=name,
        database="audifi",
        environment="production",
        created_at=created,
        server_version="15.4",
        verified_at=created if verified else None,
        **extra,
    )


@pytest.mark.parametrize(
    ("keep_last", "keep_days", "deleted"),
    [
        (0, 0, []),
        (2, 0, ["c", "d", "e"]),
        (0, 3, ["d", "e"]),
        (1, 3, ["d", "e"]),
        (4, 1, ["e"]),
    ],
)
def test_retention_keeps_what_any_rule_keeps(keep_last, keep_days, deleted):
    backups = [_manifest(n, age) for n, age in zip("abcde", [0, 1, 2, 5, 9], strict=True)]
    assert [m.name for m in to_delete(backups, keep_last, keep_days, NOW)] == deleted


def test_retention_never_deletes_the_newest_verified():
    backups = [
        _manifest("a", 0),
        _manifest("b", 1, verified=True),
        _manifest("c", 2, verified=True),
    ]
    assert [m.name for m in to_delete(backups, 1, 0, NOW)] == ["c"]


def test_manifest_round_trip_and_garbage():
    manifest = _manifest(
        "a", 0, verified=True, row_counts={"public.users": 3}, applied_versions=("1",)
    )
    assert parse(manifest.dumps(), "x.json") == manifest
    with pytest.raises(ConfigError, match="x.json is not an audifi-db backup manifest"):
        parse('{"hello": 1}', "x.json")


def test_differences_name_tables_rows_and_schema_objects():
    objects = {"table public.users": "1", "index users_pkey": "2"}
    manifest = _manifest(
        "a",
        0,
        row_counts={"public.users": 3, "public.gone": 1},
        schema_objects=objects,
        schema_digest=schema_digest(objects),
    )
    assert differences(manifest, {"public.users": 3, "public.gone": 1}, objects) == []
    found = differences(manifest, {"public.users": 2, "public.new": 0}, {"table public.users": "9"})
    assert found == [
        "table public.gone: 1 rows in the manifest, missing after restore",
        "table public.new: not in the manifest, restored with 0 rows",
        "table public.users: 3 rows in the manifest, 2 restored",
        "schema: the restored schema's digest differs from the manifest's",
        "schema: index users_pkey is missing after restore",
        "schema: table public.users differs from the manifest's",
    ]


def test_s3_checksum_of_one_part_and_of_several(tmp_path):
    path = tmp_path / "x.dump"
    data = bytes(range(256)) * 100
    path.write_bytes(data)
    whole = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert s3_checksum(path, None) == whole
    parts = [data[i : i + 10000] for i in range(0, len(data), 10000)]
    composite = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()
    assert s3_checksum(path, 10000) == base64.b64encode(composite).decode()
    assert len(parts) == 3


def test_s3_urls():
    assert split_url("s3://bucket/a/b") == ("bucket", "a/b/")
    assert split_url("s3://bucket") == ("bucket", "")
    assert folder_and_file("s3://b/p/x.dump") == ("s3://b/p/", "x.dump")
    with pytest.raises(ConfigError, match="is not a backup"):
        folder_and_file("s3://b/p/x.txt")


def test_normalized_forgets_how_postgres_deparses_casts():
    stored = "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))"
    restored = "CHECK (((status)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text])))"
    assert normalized(stored) == normalized(restored) == "CHECKstatus=ANYARRAY['a','b']"
    assert normalized("CHECK (x > 1)") != normalized("CHECK (x > 2)")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AUDIFI_DB_BACKUP_METHOD", "snapshot", "[backup] method"),
        ("AUDIFI_DB_BACKUP_S3_URL", "https://bucket", "[backup] s3_url"),
        ("AUDIFI_DB_BACKUP_S3_PART_MB", "1", "[backup] s3_part_mb"),
        ("AUDIFI_DB_BACKUP_KEEP_LAST", "-1", "[backup] keep_last"),
    ],
)
def test_bad_backup_settings_are_refused_by_name(tmp_path, variable, value, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_settings("local", "postgresql://x@h/d", cwd=tmp_path, environ={variable: value})


def test_backups_before_deploys_by_environment(tmp_path):
    environ = {
        "STAGING_DATABASE_URL": "postgresql://x@h/s",
        "PRODUCTION_DATABASE_URL": "postgresql://x@h/p",
    }
    on = {
        env: load_settings(
            env, None if env != "local" else "postgresql://x@h/l", cwd=tmp_path, environ=environ
        ).backup.before_deploy
        for env in ("local", "staging", "production")
    }
    assert on == {"local": False, "staging": True, "production": True}
    assert load_settings(
        "local", "postgresql://x@h/d", cwd=tmp_path, environ={"AUDIFI_DB_BACKUP_DIR": "/srv/b"}
    ).backup.dir == Path("/srv/b")
