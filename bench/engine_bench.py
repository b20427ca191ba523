"""audifi-db engine benchmark: `deploy` of N small migrations against psql's floor, then no-op
`deploy` and `status` over the N applied. Whole-process numbers, printed as ratios.

    .venv/bin/python bench/engine_bench.py [--n 1000] [--runs 5] [--peers]

Needs a PostgreSQL server on a loopback address with trust auth (--server-url). Each run makes
fresh databases (not timed) and times, in rotating order:
  psql floor      one `psql -f` sending BEGIN; migration; COMMIT; for every migration
  psql + history  the same plus one INSERT into a history table inside each transaction
  audifi-db       `audifi-db deploy --database-url URL` in a project holding the N migrations
  dbmate          (--peers) `dbmate migrate` on the same SQL in dbmate's format
then no-op deploy and status on the last run's migrated databases. Wall: monotonic clock
around spawn..reap; peak memory: max RSS from `/usr/bin/time -f %M`; medians of all runs.
The workload mirrors ../shared/bench/peers/gen.py (odd i: CREATE TABLE t_i; even i: ADD COLUMN
to t_(i-1)) so the numbers compare with ../shared/bench/README.md. dbmate is found via $DBMATE,
PATH, or `npm install --prefix /tmp/engine-bench-peers dbmate@2.36.0`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

GNU_TIME = "/usr/bin/time"
TARGET_OVERHEAD_MS, TARGET_STATUS_S, TARGET_PEAK_MB = 0.5, 0.10, 40.0
TARGET_SLOPE_US = 25.0  # status, per migration beyond --n, up to --growth
DBMATE_PLACES = ["/tmp/engine-bench-peers/node_modules/@dbmate/linux-x64/bin/dbmate"]
PEER_SOURCE = "measured 2026-11-25 by shared/bench (shared/bench/README.md), not in this run"
PEERS = [  # tool, apply s, ratio to floor, ms/migration over floor, no-op s, status s, peak MiB
    ("psql, one tx per migration (floor)", "2.02", "1", "0", "-", "-", "11"),
    ("psql, per migration + history INSERT", "2.34", "1.16", "0.3", "-", "-", "11"),
    ("dbmate 2.36 (Go)", "3.05", "1.55-1.66", "0.8-1.3", "0.044", "0.044", "27"),
    ("node-pg-migrate 9", "2.99", "1.56-1.60", "0.95-1.1", "0.83", "-", "87"),
    ("alembic 1.20", "3.87", "2.05", "2.0", "0.96", "1.25", "65"),
    ("yoyo-migrations 9", "14.3", "9.4", "12.7", "0.24", "0.79", "39"),
]
HISTORY_DDL = (
    "CREATE TABLE schema_history (version bigint primary key, "
    "applied_at timestamptz not null default now());\n"
)


def up_down(i: int) -> tuple[str, str]:
    """Migration i's SQL, exactly as shared/bench/peers/gen.py writes it."""
    if i % 2 == 1:
        return f"CREATE TABLE t_{i} (id bigint primary key, v text);", f"DROP TABLE t_{i};"
    return f"ALTER TABLE t_{i - 1} ADD COLUMN c text;", f"ALTER TABLE t_{i - 1} DROP COLUMN c;"


def write_workload(root: Path, n: int) -> None:
    """The N migrations for audifi-db and dbmate, and the two psql floor scripts."""
    audifi, dbmate = root / "audifi/db/migrations", root / "dbmate/db/migrations"
    for folder in (audifi, dbmate):
        folder.mkdir(parents=True)
    pertx, hist = [], [HISTORY_DDL]
    for i in range(1, n + 1):
        up, down = up_down(i)
        version = (datetime(2026, 1, 1) + timedelta(seconds=i)).strftime("%Y%m%d%H%M%S")
        name = f"{version}_m{i:0{max(5, len(str(n)))}d}.sql"
        (audifi / name).write_text(up + "\n")
        (dbmate / name).write_text(f"-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n")
        pertx.append(f"BEGIN;\n{up}\nCOMMIT;\n")
        hist.append(f"BEGIN;\n{up}\nINSERT INTO schema_history (version) VALUES ({i});\nCOMMIT;\n")
    (root / "pertx.sql").write_text("".join(pertx))
    (root / "pertx_hist.sql").write_text("".join(hist))


class Server:
    """Fresh databases on the target server, made and dropped with psql (never timed)."""

    def __init__(self, url: str) -> None:
        self.parts, self.made = urlsplit(url), []
        if self.parts.hostname not in ("127.0.0.1", "::1", "localhost"):
            sys.exit(f"engine_bench: refusing non-loopback server {self.parts.hostname!r}")

    def url(self, db: str, go: bool = False) -> str:
        scheme, query = ("postgres", "sslmode=disable") if go else (self.parts.scheme, "")
        return urlunsplit((scheme, self.parts.netloc, "/" + db, query, ""))

    def psql(self, sql: str, db: str | None = None) -> str:
        cmd = ["psql", "-X", "-q", "-At", "-d", self.url(db or self.parts.path[1:]), "-c", sql]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()

    def fresh(self) -> str:
        db = f"bench_{os.getpid()}_{len(self.made)}"
        self.drop(db)
        self.psql(f"CREATE DATABASE {db}")
        self.made.append(db)
        return db

    def drop(self, *dbs: str) -> None:
        for db in dbs:
            self.psql(f"DROP DATABASE IF EXISTS {db}")


def timed(cmd: list[str], cwd: Path, log) -> tuple[float, float, int]:
    """Run cmd once as a whole process: (wall s, peak MB, exit code)."""
    memfile = cwd / ".maxrss"
    use_time = os.access(GNU_TIME, os.X_OK)
    full = [GNU_TIME, "-f", "%M", "-o", str(memfile), *cmd] if use_time else cmd
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PGSSLMODE"] = "disable"
    t0 = time.monotonic()
    proc = subprocess.Popen(
        full, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    peak_kb = usage.ru_maxrss  # without GNU time: this process's fork, an upper bound
    if use_time:
        digits = [w for w in memfile.read_text().split() if w.isdigit()]
        peak_kb = int(digits[-1]) if digits else peak_kb
    return wall, peak_kb / 1024.0, code


def commands(args, server: Server, root: Path) -> dict:
    """name -> (cwd, db -> apply command, db -> status command or None)."""
    psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"]
    exe = Path(sys.executable).with_name("audifi-db")
    audifi = [str(exe)] if exe.exists() else [sys.executable, "-m", "audifi_db"]
    cmds = {
        "psql floor": (root, lambda db: [*psql, server.url(db), "-f", "pertx.sql"], None),
        "psql + history": (root, lambda db: [*psql, server.url(db), "-f", "pertx_hist.sql"], None),
        "audifi-db": (
            root / "audifi",
            lambda db: [*audifi, "deploy", "--database-url", server.url(db)],
            lambda db: [*audifi, "status", "--database-url", server.url(db)],
        ),
    }
    if args.dbmate:
        dbmate = [args.dbmate, "-d", "db/migrations", "--no-dump-schema", "--url"]
        cmds["dbmate"] = (
            root / "dbmate",
            lambda db: [*dbmate, server.url(db, True), "migrate"],
            lambda db: [*dbmate, server.url(db, True), "status"],
        )
    return cmds


def measure_apply(args, server: Server, cmds: dict, log) -> tuple[dict, dict]:
    """Warm-up + runs of every apply command, in rotating order, each on a fresh database.

    Returns name -> [(wall, peak, rc)] and name -> the database it migrated in the last run."""
    results: dict[str, list] = {name: [] for name in cmds}
    last: dict[str, str] = {}
    names = list(cmds)
    for run in range(args.warmup + args.runs):
        for name in names[run % len(names) :] + names[: run % len(names)]:  # drift evens out
            server.drop(*[last[name]] if name in last else [])
            last[name] = server.fresh()
            server.psql("CHECKPOINT")  # every command starts from the same quiet state
            os.sync()
            sample = timed(cmds[name][1](last[name]), cwd=cmds[name][0], log=log)
            if run >= args.warmup:
                results[name].append(sample)
            warm = " (warm-up)" if run < args.warmup else ""
            print(f"  run {run + 1}{warm} {name}: {sample[0]:.2f}s", file=sys.stderr, flush=True)
    return results, last


def measure_repeat(args, cmds: dict, dbs: dict, log) -> dict:
    """No-op apply and status of the tools (not the floors) on their migrated databases."""
    out = {}
    for name, (cwd, apply, status) in cmds.items():
        for label, cmd in ((f"{name} no-op deploy", apply), (f"{name} status", status)):
            if status is not None:
                samples = [timed(cmd(dbs[name]), cwd, log) for _ in range(1 + args.runs_fast)]
                out[label] = samples[1:]  # the first is a warm-up
    return out


def verify(server: Server, db: str, n: int, history: bool) -> str:
    """The schema N migrations make (and, for audifi-db, N history rows)."""
    q = r"""select (select count(*) from pg_tables where tablename ~ '^t_\d+$'),
      (select count(*) from information_schema.columns where table_name ~ '^t_\d+$'
       and column_name = 'c')"""
    tables, cols = server.psql(q, db).split("|")
    ok, got = (tables, cols) == (str((n + 1) // 2), str(n // 2)), f"{tables} tables, {cols} columns"
    if history:
        rows = server.psql("select count(*) from audifi_migrations where state = 'applied'", db)
        ok, got = ok and rows == str(n), f"{got}, {rows} history rows"
    return f"{'ok' if ok else 'WRONG'}: {got}"


def row(name: str, samples: list, floor: list | None, n: int, check: str = "") -> str:
    """One table row: median wall (min..max), peak MB, and against the floor when given."""
    med, walls = statistics.median, [s[0] for s in samples]
    cells = [
        f"{med(walls):.3f} ({min(walls):.3f}..{max(walls):.3f})",
        f"{med(s[1] for s in samples):.0f}",
    ]
    if floor:
        pairs = list(zip(walls, (f[0] for f in floor), strict=True))
        cells += [
            f"{med(w / f for w, f in pairs):.2f}",
            f"{med(1000 * (w - f) / n for w, f in pairs):.2f}",
        ]
    else:
        cells += ["", ""]
    return f"| {name} | " + " | ".join([*cells, str(sorted({s[2] for s in samples})), check]) + " |"


def verdict(what: str, value: float, unit: str, target: float) -> str:
    word = "PASS" if value <= target else "MISS"
    return f"- {what}: {value:.3g} {unit}  {word} (target <= {target:g} {unit})"


def report(n: int, applies: dict, repeats: dict, checks: dict) -> None:
    med, floor = statistics.median, applies["psql floor"]
    print(f"\n## audifi-db engine bench, N = {n}: whole-process medians, {len(floor)} apply runs\n")
    print(
        "| measurement | wall s (min..max) | peak MB | ratio to floor | ms/migration over floor | exit | check |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, samples in applies.items():
        print(row(f"{name} apply {n}", samples, floor, n, checks.get(name, "")))
    for name, samples in repeats.items():
        print(row(name, samples, None, n))
    deploy, status = applies["audifi-db"], repeats["audifi-db status"]
    over = med(1000 * (d[0] - f[0]) / n for d, f in zip(deploy, floor, strict=True))
    peak = max(med(s[1] for s in deploy), med(s[1] for s in status))
    print("\n## targets (timing never fails this script)\n")
    print(verdict("deploy, per-migration overhead over the floor", over, "ms", TARGET_OVERHEAD_MS))
    print(verdict("status, whole process", med(s[0] for s in status), "s", TARGET_STATUS_S))
    print(verdict("peak memory, max of deploy and status", peak, "MB", TARGET_PEAK_MB))
    print(f"\n## peers at N = 1,000 — {PEER_SOURCE}\n")
    print(
        "| tool | apply s | ratio to floor | ms/migration over floor | no-op s | status s | peak MiB |"
    )
    print("|---|---|---|---|---|---|---|")
    print("\n".join("| " + " | ".join(r) + " |" for r in PEERS))


def measure_growth(args, server: Server, log) -> dict:
    """At --n and --growth migrations: one audifi-db deploy (its peak memory) and
    --runs-fast status runs (dbmate's too with --peers), each size on a fresh database."""
    out = {}
    for n in (args.n, args.growth):
        with tempfile.TemporaryDirectory(prefix=f"engine-growth-{n}-") as tmp:
            root = Path(tmp)
            write_workload(root, n)
            cmds = commands(args, server, root)
            for name in [c for c in cmds if not c.startswith("psql")]:
                cwd, apply, status = cmds[name]
                db = server.fresh()
                deploy = timed(apply(db), cwd, log)
                runs = [timed(status(db), cwd, log) for _ in range(1 + args.runs_fast)][1:]
                out[(name, n)] = (deploy, runs)
                print(
                    f"  growth {name} N={n}: deploy {deploy[0]:.2f}s", file=sys.stderr, flush=True
                )
    return out


def report_growth(args, growth: dict) -> None:
    med = statistics.median
    print(f"\n## growth: N = {args.n} and N = {args.growth}\n")
    print("| tool | N | deploy s | deploy peak MB | status s (median) | status peak MB |")
    print("|---|---|---|---|---|---|")
    for (name, n), (deploy, runs) in growth.items():
        cells = [f"{deploy[0]:.2f}", f"{deploy[1]:.0f}", f"{med(r[0] for r in runs):.3f}"]
        print(f"| {name} | {n} | " + " | ".join([*cells, f"{med(r[1] for r in runs):.0f}"]) + " |")
    small, large = growth[("audifi-db", args.n)], growth[("audifi-db", args.growth)]
    slope = (med(r[0] for r in large[1]) - med(r[0] for r in small[1])) / (args.growth - args.n)
    print()
    print(verdict("status, per migration beyond N", slope * 1e6, "us", TARGET_SLOPE_US))
    print(verdict(f"deploy peak memory at N = {args.growth}", large[0][1], "MB", TARGET_PEAK_MB))
    if ("dbmate", args.n) in growth:
        dbmate = [med(r[0] for r in growth[("dbmate", n)][1]) for n in (args.n, args.growth)]
        print(
            f"- dbmate status, per migration beyond N: {(dbmate[1] - dbmate[0]) / (args.growth - args.n) * 1e6:.3g} us"
        )


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=1000, help="number of migrations")
    ap.add_argument("--runs", type=int, default=5, help="timed apply runs")
    ap.add_argument("--warmup", type=int, default=1, help="untimed apply runs first")
    ap.add_argument("--runs-fast", type=int, default=10, help="runs of no-op deploy and status")
    ap.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--peers", action="store_true", help="also time dbmate in this run")
    ap.add_argument(
        "--growth",
        type=int,
        default=5000,
        help="the larger size for status and memory growth (0: skip)",
    )
    args = ap.parse_args()
    places = (os.environ.get("DBMATE"), shutil.which("dbmate"), *DBMATE_PLACES)
    found = [p for p in places if p and os.access(p, os.X_OK)]
    args.dbmate = found[0] if args.peers and found else None
    if args.peers and not found:
        print("engine_bench: --peers: no dbmate (set DBMATE or see the docstring)", file=sys.stderr)
    return args


def main() -> int:
    args = parse_args()
    server = Server(args.server_url)
    with tempfile.TemporaryDirectory(prefix="engine-bench-") as tmp:
        root = Path(tmp)
        write_workload(root, args.n)
        cmds = commands(args, server, root)
        try:
            with open(root / "log.txt", "w") as log:
                applies, last = measure_apply(args, server, cmds, log)
                repeats = measure_repeat(args, cmds, last, log)
            checks = {
                name: verify(server, db, args.n, name == "audifi-db") for name, db in last.items()
            }
            report(args.n, applies, repeats, checks)
            if args.growth:
                with open(root / "log.txt", "a") as log:
                    report_growth(args, measure_growth(args, server, log))
            if any(s[2] for v in [*applies.values(), *repeats.values()] for s in v):
                print("\nnon-zero exits; the log ends:\n" + (root / "log.txt").read_text()[-2000:])
        finally:
            server.drop(*server.made)
    return 0


if __name__ == "__main__":
    sys.exit(main())
