"""A small mutation check: break one promise at a time and see whether a test turns red.

    .venv/bin/python tests/mutations.py            # every mutation, the whole suite each (-x)
    .venv/bin/python tests/mutations.py applied-row-after-commit error-line-ignores-position
    .venv/bin/python tests/mutations.py -- tests/db tests/cli   # pytest arguments after --

Each mutation is one textual edit to one source file, applied to a copy of `src/` that is put
first on PYTHONPATH (the real tests, the real CLI subprocesses and the real server see the
mutated code). A mutation is KILLED when pytest fails, SURVIVED when every test passes: a
survivor is a promise no test proves. Exit 1 if any survived. Not collected by pytest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    id: str
    promise: str
    file: str
    old: str
    new: str


NONE = Mutation("none", "the unmutated code passes", "errors.py", "", "")
MUTATIONS = [
    Mutation(
        "applied-row-after-commit",
        "a transactional migration and its applied row commit together",
        "strategies.py",
        """            phase = "history"
            ctx.history.record_applied(""",
        """            ctx.conn.execute("COMMIT")
            phase = "history"
            ctx.history.record_applied(""",
    ),
    Mutation(
        "error-line-ignores-position",
        "a failure names the line the server points at",
        "failures.py",
        "    if not error.position:\n        return stmt.line",
        "    if True:\n        return stmt.line",
    ),
    Mutation(
        "no-applied-once-index",
        "a version is recorded applied once, even by a runner past the lock",
        "postgres/history.py",
        """        self.conn.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {once} ON {self.name} (version) "
            "WHERE state IN ('applied', 'baselined') AND kind = 'migration'"
        )""",
        "        del once",
    ),
    Mutation(
        "lint-workers-find-nothing",
        "linting many files in worker processes reports their findings",
        "lint/files.py",
        "        return [finding for part in parts for finding in part]",
        "        return []",
    ),
    Mutation(
        "deploy-json-prints-no-events",
        "deploy --json prints every event of the run",
        "cli/output.py",
        "        _json_line(self.stream, event.to_json())\n        if event.NAME in",
        "        if event.NAME in",
    ),
    Mutation(
        "fanout-lets-a-listener-raise",
        "a listener that raises never stops the others",
        "fanout.py",
        "        except Exception as exc:  # noqa: BLE001 - a listener never fails the run",
        "        except ZeroDivisionError as exc:",
    ),
    Mutation(
        "lock-watch-never-probes",
        "a statement cancelled by lock_timeout names the sessions that blocked it",
        "postgres/blockers.py",
        "            found = self._probe()",
        "            found = ()",
    ),
    Mutation(
        "plan-guard-ignores-blockers",
        "deploy refuses an edited applied migration",
        "guards.py",
        "        if blockers:\n            first = blockers[0]",
        "        if False:\n            first = blockers[0]",
    ),
    Mutation(
        "lock-loss-unnoticed",
        "a run that lost its lock stops between migrations",
        "postgres/lock.py",
        '        conn.execute("SELECT 1")\n    except AudiFiDbError:',
        "        pass\n    except AudiFiDbError:",
    ),
    Mutation(
        "ctrl-c-exits-1",
        "Ctrl-C exits 130",
        "errors.py",
        "    exit_code = EXIT_INTERRUPTED",
        "    exit_code = EXIT_FAILED",
    ),
    Mutation(
        "seeds-reloaded",
        "a seed file loaded before is skipped",
        "runner.py",
        "todo = [s for s in seeds if loaded.get(s.version) != s.checksum]",
        "todo = list(seeds)",
    ),
    Mutation(
        "lock-timeout-never-retried",
        "a statement cancelled by lock_timeout is retried until the deadline",
        "online.py",
        "        if left <= 0:\n            return None",
        "        if True:\n            return None",
    ),
    Mutation(
        "backfill-rewrites-done-rows",
        "a resumed backfill sets every row exactly once",
        "online.py",
        "   WHERE {lower}{key} <= (SELECT hi FROM bounds) AND ({where})",
        "   WHERE {lower}{key} <= (SELECT hi FROM bounds)",
    ),
    Mutation(
        "interrupted-python-migration-blocks",
        "an interrupted Python migration runs again without resolve",
        "planning.py",
        "    if (row.state == State.FAILED and row.transactional) or migration.is_python:",
        "    if row.state == State.FAILED and row.transactional:",
    ),
    Mutation(
        "select-rows-counted",
        "rows affected counts only rows changed",
        "postgres/connect.py",
        '_ROW_CHANGING_TAGS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "COPY"})',
        '_ROW_CHANGING_TAGS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "SELECT"})',
    ),
    Mutation(
        "display-frees-stand-ins",
        "a progress display going away while a listener prints crashes nothing",
        "cli/display.py",
        "            _STAND_INS.extend(s for s in (sys.stdout, sys.stderr) if s not in _STAND_INS)",
        "            pass",
    ),
    Mutation(
        "fanout-wakes-per-event",
        "a burst of events wakes a listener's thread a few times, not once per event",
        "fanout.py",
        "            time.sleep(GATHER_SECONDS)",
        "            pass",
    ),
    Mutation(
        "driver-loads-ssl",
        "psycopg2 loads without Python's ssl (10-20 ms of every command), which stays importable",
        "postgres/connect.py",
        '    if "ssl" in sys.modules:',
        "    if True:",
    ),
]


def run(mutation: Mutation, root: Path, pytest_args: list[str]) -> tuple[str, str, float]:
    """Apply the mutation to a fresh copy of src/ and run the suite: (verdict, detail, s)."""
    src = root / "src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(REPO / "src", src)
    if mutation is not NONE:
        target = src / "audifi_db" / mutation.file
        text = target.read_text()
        if text.count(mutation.old) != 1:
            return "STALE", f"the text to mutate is not found once in {mutation.file}", 0.0
        target.write_text(text.replace(mutation.old, mutation.new))
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *pytest_args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    took = time.monotonic() - began
    if result.returncode == 0:
        return "SURVIVED", "every test passed", took
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    return "KILLED", (failed[0].removeprefix("FAILED ") if failed else result.stdout[-200:]), took


def main(argv: list[str]) -> int:
    selected, pytest_args = argv, []
    if "--" in argv:
        selected, pytest_args = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    chosen = [m for m in MUTATIONS if not selected or m.id in selected]
    survivors = 0
    with tempfile.TemporaryDirectory(prefix="audifi-mutations-") as tmp:
        verdict, detail, _ = run(NONE, Path(tmp), pytest_args or ["tests"])
        if verdict != "SURVIVED":
            print(f"the unmutated suite fails ({detail}): fix it first", file=sys.stderr)
            return 2
        for mutation in chosen:
            verdict, detail, took = run(mutation, Path(tmp), pytest_args or ["tests"])
            survivors += verdict != "KILLED"
            print(f"{verdict:8} {mutation.id:32} {took:5.0f}s  {detail[:110]}", flush=True)
    print(f"\n{len(chosen) - survivors} of {len(chosen)} mutations killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
