"""Lint speed against squawk: both linters, whole process, on the same generated files.

    .venv/bin/pip install squawk-cli      # once
    .venv/bin/python bench/lint_bench.py [--statements 10000] [--files 100] [--runs 5]

Prints each tool's median wall time and the ratio audifi-db / squawk (target <= 1.0).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATES = (
    "CREATE TABLE IF NOT EXISTS t{i} (id bigint PRIMARY KEY, artist_id bigint NOT NULL,"
    " title text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());",
    "ALTER TABLE tracks ADD COLUMN c{i} integer;",
    "ALTER TABLE tracks ADD COLUMN d{i} bigint NOT NULL DEFAULT 0;",
    "CREATE INDEX tracks_{i}_idx ON tracks (artist_id, created_at);",
    "INSERT INTO plans (id, name) VALUES ({i}, 'plan {i}');",
    "UPDATE tracks SET plays = plays + 1 WHERE id = {i};",
    "ALTER TABLE tracks ALTER COLUMN c{i} TYPE bigint;",
    "ALTER TABLE tracks ADD CONSTRAINT tracks_{i}_fk FOREIGN KEY (artist_id)"
    " REFERENCES artists (id) NOT VALID;",
    "SELECT id, title FROM tracks WHERE artist_id = {i} ORDER BY created_at DESC LIMIT 10;",
    "CREATE OR REPLACE FUNCTION f{i}() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN NEW.updated_at := now(); RETURN NEW; END $$;",
    "COMMENT ON TABLE tracks IS 'tracks {i}';",
    "ALTER TABLE tracks DROP COLUMN IF EXISTS old_{i};",
)


def generate(folder: Path, statements: int, files: int) -> list[str]:
    per_file = statements // files
    paths = []
    for f in range(files):
        lines = [
            TEMPLATES[(f * per_file + s) % len(TEMPLATES)].format(i=f * per_file + s)
            for s in range(per_file)
        ]
        path = folder / f"{f:04d}_bench.sql"
        path.write_text("\n".join(lines) + "\n")
        paths.append(str(path))
    return paths


def timed(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=10000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    squawk = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    if not Path(squawk).exists():
        print("squawk not found: pip install squawk-cli", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), args.statements, args.files)
        ours = [sys.executable, "-m", "audifi_db", "lint", *paths]
        theirs = [squawk, *paths]
        timed(ours, 1), timed(theirs, 1)  # warm the file cache and .pyc files
        ours_s, theirs_s = timed(ours, args.runs), timed(theirs, args.runs)
    print(f"{args.statements} statements in {args.files} files, median of {args.runs} runs")
    print(f"  squawk     {theirs_s:.3f} s")
    print(f"  audifi-db  {ours_s:.3f} s")
    print(f"  ratio audifi-db / squawk = {ours_s / theirs_s:.2f} (target <= 1.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
