"""The password reaches pg_dump, pg_restore and psql through a 0600 pgpass file, never their
argument lists (read from /proc while they run) and never any output."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import pytest
from backup_helpers import REPO, audifi_project, backups, fill
from clusters import Cluster

PASSWORD = "s3cr3t:Pa55@w/rd"
QUOTED = "s3cr3t%3APa55%40w%2Frd"


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster(password=PASSWORD).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def database(cluster):
    from audifi_db import operations
    from audifi_db.config import load_settings

    name = f"secrets_{os.getpid()}_{time.monotonic_ns()}"
    _admin(cluster, f'CREATE DATABASE "{name}"')
    url = cluster.url(name, password=QUOTED)
    operations.deploy(load_settings("local", url, cwd=REPO, environ={}))
    fill(url, users=500, masters=100, events=1000)
    yield url
    _admin(cluster, f'DROP DATABASE "{name}" WITH (FORCE)')


def _admin(cluster, sql: str) -> None:
    conn = psycopg2.connect(cluster.url("postgres", password=QUOTED))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


class ChildWatcher:
    """Reads the argument list and environment of every pg_dump / pg_restore / psql
    process started by this test's CLI (its environment carries `marker`), while the
    block runs; other agents' processes on the machine are not looked at."""

    NAMES = {"pg_dump", "pg_restore", "psql"}

    def __init__(self, marker: str) -> None:
        self.marker = marker.encode()
        self.seen: dict[int, tuple[str, bytes, bytes, int | None]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit() and int(entry.name) not in self.seen:
                    self._look(entry)
            time.sleep(0.002)

    def _look(self, entry: Path) -> None:
        try:
            argv = (entry / "cmdline").read_bytes()
            name = Path(argv.split(b"\0")[0].decode()).name
            if name not in self.NAMES:
                return
            environ = (entry / "environ").read_bytes()
            if self.marker not in environ:
                return
            passfile = dict(
                item.split(b"=", 1) for item in environ.split(b"\0") if b"=" in item
            ).get(b"PGPASSFILE")
            mode = os.stat(passfile).st_mode & 0o777 if passfile else None
            self.seen[int(entry.name)] = (name, argv, environ, mode)
        except (OSError, ValueError, IndexError):
            return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_cli(cwd, url, *args, env):
    command = [sys.executable, "-m", "audifi_db", *args, "--database-url", url]
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def test_no_password_in_any_childs_arguments_or_any_output(project, database, tmp_path):
    audifi_project(project, new_migration=False)
    folder = tmp_path / "backups"
    env = project.env(AUDIFI_DB_BACKUP_DIR=str(folder), PGPASSWORD="wrong-one")
    blocker = psycopg2.connect(database.replace(QUOTED, QUOTED))
    with ChildWatcher(f"AUDIFI_DB_BACKUP_DIR={folder}") as watcher:
        # pg_dump waits for this lock, long enough to be read from /proc for sure
        with blocker.cursor() as cur:
            cur.execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        backing_up = subprocess.Popen(
            [sys.executable, "-m", "audifi_db", "backup", "--database-url", database],
            cwd=project.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while (
            not any(s[0] == "pg_dump" for s in watcher.seen.values())
            and time.monotonic() < deadline
        ):
            time.sleep(0.01)
        blocker.rollback()
        out, err = backing_up.communicate(timeout=120)
        (dump,) = backups(folder)
        outputs = [out, err]
        for args in (["backup", "verify", str(dump)], ["restore", str(dump)], ["backup", "list"]):
            result = run_cli(project.root, database, *args, env=env)
            assert result.returncode == 0, result.stderr
            outputs += [result.stdout, result.stderr]
    blocker.close()
    assert backing_up.returncode == 0, err
    names = {name for name, *_ in watcher.seen.values()}
    assert {"pg_dump", "pg_restore", "psql"} <= names
    for name, argv, environ, mode in watcher.seen.values():
        assert PASSWORD.encode() not in argv and QUOTED.encode() not in argv, name
        assert PASSWORD.encode() not in environ and QUOTED.encode() not in environ, name
        if b"--version" not in argv:  # a version probe needs no password
            assert b"PGPASSWORD=" not in environ and mode == 0o600, name
    for text in outputs:
        assert PASSWORD not in text and QUOTED not in text
    leftovers = list(Path(os.environ.get("TMPDIR", "/tmp")).glob("audifi-db-*/pgpass"))
    assert leftovers == []
