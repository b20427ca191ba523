"""audifi-db backup benchmark: backup, verify and restore of a generated database of at least
1 GB, timed against plain `pg_dump -Fc` and `pg_restore` in the same run, printed as ratios.

    .venv/bin/python bench/backup.py [--gb 1.0] [--server-url postgresql://postgres@127.0.0.1:5432/postgres]

Needs a PostgreSQL server on a loopback address with trust auth for a user that may create
databases. Makes `bench_backup_<pid>` (AudiFi's schema, then generated users, masters and
engagement events until the database holds --gb GB; not timed), then times, each as a whole
process, using the same pg_dump / pg_restore binaries audifi-db picks:

  pg_dump -Fc                 plain dump to a file
  audifi-db backup            dump in an exported snapshot + every table counted + manifest
  pg_restore                  into a fresh database, one job
  pg_restore --jobs=N         the same with N = the machine's cores (at most 4)
  audifi-db backup verify     scratch database, pg_restore --jobs=N, counts and schema compared, drop
  audifi-db restore           into a fresh database, one transaction (pg_restore | psql)

Every database and file it makes is removed at the end. Exits 0; prints PASS/MISS per target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from audifi_db.backup import process  # noqa: E402
from audifi_db.backup.verify import JOBS  # noqa: E402

TARGET_BACKUP, TARGET_RESTORE = 1.25, 1.2
GENERATE = """
SET session_replication_role = replica;  -- generated rows are valid; skip FK triggers
INSERT INTO users (email, handle, role, created_at)
SELECT 'user' || i || '@example.com', 'user_' || i, CASE WHEN i % 10 = 0 THEN 'artist' ELSE 'fan' END,
       timestamptz '2026-01-01' + i * interval '1 minute'
  FROM generate_series(1, 200000) AS i;
INSERT INTO masters (title, artist_id, ipfs_hash)
SELECT 'Master ' || i, a.ids[1 + i % cardinality(a.ids)], md5(i::text) || md5((i + 1)::text)
  FROM generate_series(1, 50000) AS i,
       (SELECT array_agg(id) AS ids FROM users WHERE role = 'artist') AS a;
"""
EVENTS = """
SET session_replication_role = replica;
INSERT INTO engagement_events (occurred_at, user_id, master_id, event_type, payload)
SELECT timestamptz '2026-11-01' + (i %% 30000000) * interval '1 second', u.ids[1 + i %% cardinality(u.ids)],
       m.ids[1 + i %% cardinality(m.ids)], (ARRAY['play', 'skip', 'like', 'share'])[1 + i %% 4],
       jsonb_build_object('n', i, 'track', md5(i::text), 'device', 'ios-' || (i %% 97), 'ms', i %% 240000)
  FROM generate_series(%s, %s) AS i,
       (SELECT array_agg(id) AS ids FROM users) AS u,
       (SELECT array_agg(id) AS ids FROM masters) AS m;
"""


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def psql(url: str, sql: str) -> str:
    out = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def timed(args: list[str], **kwargs) -> float:
    began = time.monotonic()
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    elapsed = time.monotonic() - began
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(args[:3])}… failed ({result.returncode}):\n{result.stderr[-2000:]}"
        )
    return elapsed


def generate(admin: str, url: str, gigabytes: float, cwd: Path) -> int:
    name = urlsplit(url).path.lstrip("/")
    psql(admin, f'CREATE DATABASE "{name}"')
    audifi = [sys.executable, "-m", "audifi_db"]
    timed([*audifi, "deploy", "--database-url", url], cwd=cwd)
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
        input=GENERATE,
        text=True,
        check=True,
    )
    start, step = 1, 2_000_000
    while int(psql(url, "SELECT pg_database_size(current_database())")) < gigabytes * 1e9:
        sql = EVENTS % (start, start + step - 1)
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
            input=sql,
            text=True,
            check=True,
        )
        start += step
    psql(url, "VACUUM ANALYZE")
    return int(psql(url, "SELECT pg_database_size(current_database())"))


def fresh(admin: str, name: str) -> str:
    psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(admin, f'CREATE DATABASE "{name}"')
    psql(admin, "CHECKPOINT")
    return with_database(admin, name)


def run(args: argparse.Namespace) -> None:
    admin = args.server_url
    base = f"bench_backup_{os.getpid()}"
    url = with_database(admin, base)
    work = Path(tempfile.mkdtemp(prefix="audifi-bench-backup-"))
    project = work / "project"
    shutil.copytree(REPO / "db", project / "db")
    env = {**os.environ, "AUDIFI_DB_BACKUP_DIR": str(work / "backups")}
    audifi = [sys.executable, "-m", "audifi_db"]
    try:
        size = generate(admin, url, args.gb, project)
        server_major = int(psql(url, "SHOW server_version_num")) // 10000
        pg_dump = process.find("pg_dump", "", server_major).path
        pg_restore = process.find("pg_restore", "", server_major).path
        print(f"database {base}: {size / 1e9:.2f} GB; {pg_dump} / {pg_restore}; --jobs={JOBS}")
        plain = work / "plain.dump"
        psql(admin, "CHECKPOINT")
        t = {"pg_dump -Fc": timed([str(pg_dump), "-Fc", "-f", str(plain), "-d", url])}
        t["audifi-db backup"] = timed(
            [*audifi, "backup", "--database-url", url], cwd=project, env=env
        )
        (ours,) = (work / "backups").glob("*.dump")
        target = fresh(admin, f"{base}_r")
        t["pg_restore"] = timed([str(pg_restore), "-d", target, str(plain)])
        target = fresh(admin, f"{base}_r")
        t[f"pg_restore --jobs={JOBS}"] = timed(
            [str(pg_restore), f"--jobs={JOBS}", "-d", target, str(plain)]
        )
        psql(admin, "CHECKPOINT")
        t["audifi-db backup verify"] = timed(
            [*audifi, "backup", "verify", str(ours), "--database-url", url], cwd=project, env=env
        )
        target = fresh(admin, f"{base}_r")
        t["audifi-db restore"] = timed(
            [*audifi, "restore", str(ours), "--database-url", target], cwd=project, env=env
        )
        report(t, plain.stat().st_size, ours.stat().st_size)
    finally:
        for name in (base, f"{base}_r"):
            psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


def report(t: dict[str, float], plain_size: int, ours_size: int) -> None:
    single = t["pg_restore"]
    baselines = {
        "audifi-db backup": ("pg_dump -Fc", TARGET_BACKUP),
        "audifi-db backup verify": ("pg_restore", TARGET_RESTORE),
        "audifi-db restore": ("pg_restore", TARGET_RESTORE),
    }
    print("\n| step | s | ratio | target |\n|---|---|---|---|")
    for step, seconds in t.items():
        base, target = baselines.get(step, (None, None))
        if base is None:
            ratio = f"{seconds / single:.2f}× pg_restore" if "jobs" in step else "1.00"
            print(f"| {step} | {seconds:.1f} | {ratio} | |")
            continue
        ratio = seconds / t[base]
        verdict = "PASS" if ratio <= target else "MISS"
        print(f"| {step} | {seconds:.1f} | {ratio:.2f}× {base} | ≤ {target} {verdict} |")
    print(
        f"\ndump sizes: pg_dump -Fc {plain_size / 1e6:.1f} MB, audifi-db {ours_size / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gb", type=float, default=1.0, help="database size to generate (GB)")
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
