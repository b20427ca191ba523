"""AudiFi schema benchmark: what the coin ledger's invariants cost, against the same schema
without them.

    .venv/bin/python bench/schema.py [--rows 200000] [--clients 8] [--seconds 20] [--runs 1]
                                     [--protocol prepared|simple]
                                     [--server-url postgresql://postgres@127.0.0.1:5432/postgres]

Needs a PostgreSQL server on a loopback address where the URL's user may create databases
(trust auth), and pgbench (on PATH, else the one pgserver ships). Each run makes, for each
variant, a fresh database with every migration of db/migrations deployed by audifi-db:
  invariants   the schema as deployed;
  no triggers  the same schema with the user triggers of the ledger's tables disabled
               (coin_transactions, coin_balances, coins, liquidity_pools, liquidity_positions;
               constraints, indexes and foreign keys stay): the cost of the rows alone.
In each, after an untimed set-up (--rows users, one coin, CHECKPOINT):
  airdrop      one INSERT of --rows mint rows, one per user (each a new balance);
  transfers    pgbench, --clients clients on 2 threads for --seconds: each transaction one
               single-row transfer of 0.01 between two random holders, in autocommit,
               sent as the backend's driver would (a prepared statement; --protocol simple
               parses and plans every one).
Variants alternate their order from one run to the next; medians are printed, with the
ratio invariants / no triggers and the issue's targets (airdrop < 30 s, transfers >= 1,000
per second) as PASS or MISS. Always exits 0; the databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

REPO = Path(__file__).resolve().parents[1]
TARGET_AIRDROP_S, TARGET_TPS = 30.0, 1000.0
LEDGER_TABLES = (
    "coin_transactions",
    "coin_balances",
    "coins",
    "liquidity_pools",
    "liquidity_positions",
)
TRANSFER = """\\set p random(1, {rows})
\\set q (:p % {rows}) + 1
INSERT INTO coin_transactions (coin_id, kind, from_user_id, to_user_id, amount, idempotency_key)
SELECT c.id, 'transfer', a.id, b.id, 0.01, gen_random_uuid()::text
  FROM coins c, bench_users a, bench_users b WHERE c.symbol = 'BENCH' AND a.n = :p AND b.n = :q;
"""


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin(url: str, sql: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def pgbench() -> str:
    import pgserver

    return shutil.which("pgbench") or str(Path(pgserver.__file__).parent / "pginstall/bin/pgbench")


def deployed(server_url: str, name: str, triggers: bool) -> str:
    """A fresh database `name` with the schema deployed, --rows users to come."""
    from audifi_db import operations
    from audifi_db.config import load_settings

    admin(server_url, f'DROP DATABASE IF EXISTS "{name}"')
    admin(server_url, f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    operations.deploy(load_settings("local", url, cwd=REPO, environ={}))
    if not triggers:
        for table in LEDGER_TABLES:
            admin(url, f"ALTER TABLE {table} DISABLE TRIGGER USER")
    return url


def set_up(url: str, rows: int) -> None:
    """Untimed: the users (and their numbers, for pgbench) and the coin."""
    admin(
        url,
        f"""INSERT INTO users (email, handle)
              SELECT 'holder' || n || '@bench.audifi.io', 'holder_' || n FROM generate_series(1, {rows}) n;
            CREATE TABLE bench_users AS SELECT row_number() OVER (ORDER BY id)::int AS n, id FROM users;
            ALTER TABLE bench_users ADD PRIMARY KEY (n);
            INSERT INTO coins (symbol, name) VALUES ('BENCH', 'Bench Coin');""",
    )
    quiesce(url)


def quiesce(url: str) -> None:
    """Statistics up to date and dirty pages written: each measure starts from the same state."""
    admin(url, "VACUUM ANALYZE")
    admin(url, "CHECKPOINT")


def airdrop(url: str) -> float:
    """Seconds for one INSERT minting 10 to every user."""
    began = time.monotonic()
    admin(
        url,
        """INSERT INTO coin_transactions (coin_id, kind, to_user_id, amount, idempotency_key)
           SELECT (SELECT id FROM coins WHERE symbol = 'BENCH'), 'mint', id, 10, 'airdrop-' || id
             FROM users""",
    )
    return time.monotonic() - began


def transfers(url: str, rows: int, clients: int, seconds: int, protocol: str) -> tuple[float, str]:
    """pgbench's tps for single-row transfers, and its count of failed transactions."""
    quiesce(url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(TRANSFER.format(rows=rows))
    try:
        result = subprocess.run(
            [
                pgbench(),
                "-n",
                "-M",
                protocol,
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(seconds),
                "-f",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PGSSLMODE": "disable"},
        )
    finally:
        os.unlink(script.name)
    tps = re.search(r"tps = ([0-9.]+)", result.stdout)
    if result.returncode != 0 or tps is None:
        sys.exit(f"schema bench: pgbench failed:\n{result.stdout}\n{result.stderr}")
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    return float(tps.group(1)), failed.group(1) if failed else "0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--protocol", choices=("prepared", "simple"), default="prepared")
    args = parser.parse_args()
    if urlsplit(args.server_url).hostname not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("schema bench: refusing a non-loopback server")

    variants = {"invariants": True, "no triggers": False}
    results: dict[str, dict[str, list[float]]] = {v: {"airdrop": [], "tps": []} for v in variants}
    names = {v: f"bench_schema_{os.getpid()}_{i}" for i, v in enumerate(variants)}
    try:
        for run in range(args.runs):
            order = list(variants) if run % 2 == 0 else list(reversed(variants))
            for variant in order:
                url = deployed(args.server_url, names[variant], variants[variant])
                set_up(url, args.rows)
                seconds = airdrop(url)
                tps, failed = transfers(url, args.rows, args.clients, args.seconds, args.protocol)
                results[variant]["airdrop"].append(seconds)
                results[variant]["tps"].append(tps)
                print(
                    f"  run {run + 1} {variant}: airdrop {seconds:.2f} s, {tps:.0f} transfers/s"
                    f" ({failed} failed)",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        for name in names.values():
            admin(args.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    med = {v: {k: statistics.median(xs) for k, xs in r.items()} for v, r in results.items()}
    with_, without = med["invariants"], med["no triggers"]
    print(
        f"AudiFi schema, {args.rows:,}-row airdrop and single-row transfers ({args.clients} clients,"
        f" {args.seconds} s, {args.protocol} statements), {os.cpu_count()} cores,"
        f" median of {args.runs} run(s)"
    )
    print(f"{'measure':<34}{'invariants':>12}{'no triggers':>13}{'ratio':>8}  target")
    airdrop_ok = "PASS" if with_["airdrop"] < TARGET_AIRDROP_S else "MISS"
    tps_ok = "PASS" if with_["tps"] >= TARGET_TPS else "MISS"
    print(
        f"{'airdrop, one INSERT (s)':<34}{with_['airdrop']:>12.2f}{without['airdrop']:>13.2f}"
        f"{with_['airdrop'] / without['airdrop']:>8.2f}  < {TARGET_AIRDROP_S:.0f} s: {airdrop_ok}"
    )
    print(
        f"{'transfers per second':<34}{with_['tps']:>12.0f}{without['tps']:>13.0f}"
        f"{without['tps'] / with_['tps']:>8.2f}  >= {TARGET_TPS:,.0f}/s: {tps_ok}"
    )
    print(
        "ratio: the cost of the invariants (time with / time without; for transfers, tps without / with)"
    )


if __name__ == "__main__":
    main()
