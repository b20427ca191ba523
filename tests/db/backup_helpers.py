"""Real data for backup tests, a fingerprint of every row, and a project that deploys
AudiFi's schema plus one new migration to staging through the real CLI."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from conftest import query as execute

REPO = Path(__file__).resolve().parents[2]
NEW_VERSION = "20991231000000"  # newer than every AudiFi migration, whatever lands
NEW_MIGRATION = """-- Royalty splits between the holders of a master.
CREATE TABLE IF NOT EXISTS royalty_splits (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    master_id uuid NOT NULL REFERENCES masters (id) ON DELETE RESTRICT,
    share     numeric(5, 4) NOT NULL CHECK (share > 0 AND share <= 1)
);
CREATE INDEX IF NOT EXISTS royalty_splits_master_id_idx ON royalty_splits (master_id);
"""

# Thousands of rows in five AudiFi tables, partitions of the event stream included.
FILL_SQL = """
INSERT INTO users (email, handle, role, created_at)
SELECT 'user' || i || '@example.com', 'user_' || i, CASE WHEN i %% 10 = 0 THEN 'artist' ELSE 'fan' END,
       timestamptz '2026-09-01' + i * interval '1 minute'
  FROM generate_series(1, %(users)s) AS i;
INSERT INTO masters (title, artist_id, ipfs_hash)
SELECT 'Master ' || i, a.ids[1 + i %% cardinality(a.ids)], md5(i::text) || md5((i + 1)::text)
  FROM generate_series(1, %(masters)s) AS i,
       (SELECT array_agg(id ORDER BY handle) AS ids FROM users WHERE role = 'artist') AS a;
INSERT INTO recovery_codes (user_id, code_hash)
SELECT id, 'sha256:' || md5(id::text || n) FROM users, generate_series(1, 2) AS n;
INSERT INTO v_studio_sessions (host_id, title, status)
SELECT id, 'Session of ' || handle, 'scheduled' FROM users WHERE role = 'artist';
INSERT INTO engagement_events (occurred_at, user_id, master_id, event_type, payload)
SELECT timestamptz '2026-11-01' + i * interval '17 minutes', u.ids[1 + i %% cardinality(u.ids)],
       m.ids[1 + i %% cardinality(m.ids)], (ARRAY['play', 'skip', 'like', 'share'])[1 + i %% 4],
       jsonb_build_object('n', i)
  FROM generate_series(1, %(events)s) AS i,
       (SELECT array_agg(id ORDER BY handle) AS ids FROM users) AS u,
       (SELECT array_agg(id ORDER BY title) AS ids FROM masters) AS m;
"""


def fill(url: str, users: int = 3000, masters: int = 600, events: int = 6000) -> None:
    execute(url, FILL_SQL, {"users": users, "masters": masters, "events": events})


def add_blobs(url: str, megabytes: int) -> None:
    """A table of incompressible bytes, so that the dump is about `megabytes` MB."""
    execute(url, "CREATE TABLE blobs (id int PRIMARY KEY, data bytea NOT NULL)")
    execute(
        url,
        "INSERT INTO blobs SELECT i, (SELECT decode(string_agg(md5(random()::text || i || n), ''), 'hex') "
        "FROM generate_series(1, 4096) AS n) FROM generate_series(1, %s) AS i",
        (megabytes * 16,),
    )


def tables(url: str) -> list[str]:
    """Every table that holds rows (partitions, not their parent)."""
    rows = execute(
        url,
        "SELECT format('%%I.%%I', n.nspname, c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    return [name for (name,) in rows]


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and the md5 of its rows in a fixed order."""
    found = {}
    for table in tables(url):
        rows = execute(
            url,
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t",
        )
        found[table] = rows[0]
    return found


def audifi_project(project, *, new_migration: bool = True):
    """The `project` fixture holding AudiFi's migrations (and one new one)."""
    for path in sorted((REPO / "db" / "migrations").glob("*.sql")):
        shutil.copy(path, project.migrations / path.name)
    if new_migration:
        project.write(NEW_VERSION, "royalty_splits", NEW_MIGRATION)
    return project


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.dump")) if folder.exists() else []


def manifest(dump: Path) -> dict:
    return json.loads(dump.with_suffix(".json").read_text())


def staging_env(project, backup_dir: Path, **extra: str) -> dict[str, str]:
    return project.env(
        STAGING_DATABASE_URL=project.url, AUDIFI_DB_BACKUP_DIR=str(backup_dir), **extra
    )


def wait_for_locked_backup(project) -> None:
    """Until a pg_dump of `project`'s database waits for a lock a test session holds."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        waiting = project.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name LIKE 'audifi-db backup%%' AND wait_event_type = 'Lock'"
        )
        if waiting[0][0] >= 1:
            return
        time.sleep(0.05)
    raise AssertionError("pg_dump never waited for the lock")
