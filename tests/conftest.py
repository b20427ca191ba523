"""Test infrastructure: a real PostgreSQL, a fresh database per test, the real CLI.

The server: TEST_DATABASE_URL if set, else 127.0.0.1:5432 if one answers, else an embedded
server from pgserver (started once per test session). No test mocks the database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

REPO = Path(__file__).resolve().parents[1]
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch):
    """In-process runs of a test suite running in GitHub Actions write no step summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory) -> str:
    """An admin URL (database `postgres`) of the server the tests use."""
    if os.environ.get("TEST_DATABASE_URL"):
        return os.environ["TEST_DATABASE_URL"]
    if _answers("127.0.0.1", 5432):
        return LOCAL_SERVER
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    return server.get_uri()


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def as_user(url: str, user: str) -> str:
    """The same database URL, connecting as `user` (trust auth: no password)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def admin_execute(url: str, sql: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the test server, dropped when the block ends."""
    name = f"audifi_test_{uuid.uuid4().hex[:12]}"
    admin_execute(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_url(server_url) -> Iterator[str]:
    """A fresh, empty database for this test, dropped afterwards."""
    with fresh_database(server_url) as url:
        yield url


@pytest.fixture
def staging_url(server_url) -> Iterator[str]:
    """A second fresh database, playing staging beside `db_url`."""
    with fresh_database(server_url) as url:
        yield url


@pytest.fixture(scope="session")
def deployed_template(server_url) -> Iterator[str]:
    """A database with every migration of db/migrations applied by the real engine, once per
    test run; tests get copies of it (deployed_url), never a connection to it."""
    from audifi_db import operations
    from audifi_db.config import load_settings

    name = f"audifi_test_tpl_{uuid.uuid4().hex[:12]}"
    admin_execute(server_url, f'CREATE DATABASE "{name}"')
    settings = load_settings("local", with_database(server_url, name), cwd=REPO, environ={})
    operations.deploy(settings)
    yield name
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def deployed_url(server_url, deployed_template) -> Iterator[str]:
    """A fresh database holding every migration of db/migrations as the engine applies them:
    a copy of deployed_template (CREATE DATABASE ... TEMPLATE copies files, a fraction of
    the time of a deploy), dropped afterwards."""
    name = f"audifi_test_{uuid.uuid4().hex[:12]}"
    admin_execute(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{deployed_template}"')
    yield with_database(server_url, name)
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def psql() -> str:
    """psql from PATH, else the one the pgserver package ships."""
    import shutil

    import pgserver

    return shutil.which("psql") or str(Path(pgserver.__file__).parent / "pginstall/bin/psql")


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Project:
    """A throwaway project folder with its own db/migrations, driven through the real CLI."""

    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url
        self.migrations = root / "db" / "migrations"
        self.migrations.mkdir(parents=True)

    def write(self, version: str, name: str, sql: str | bytes) -> Path:
        path = self.migrations / f"{version}_{name}.sql"
        if isinstance(sql, bytes):
            path.write_bytes(sql)
        else:
            path.write_text(sql)
        return path

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AUDIFI_DB_") and not k.endswith("DATABASE_URL")
        }
        env.pop("GITHUB_ACTIONS", None)
        env.pop("RUNNER_ENVIRONMENT", None)  # a test run on a hosted runner is not one
        env.pop("GITHUB_STEP_SUMMARY", None)  # never the real job summary of a CI run
        env.update(extra)
        return env

    def command(self, args: tuple[str, ...], url: str | None = "default") -> list[str]:
        """The CLI's command line: `url` "default" is the project's, None none."""
        command = [sys.executable, "-m", "audifi_db", *args]
        if url is not None:
            command += ["--database-url", self.url if url == "default" else url]
        return command

    def cli(
        self,
        *args: str,
        url: str | None = "default",
        env: dict | None = None,
        stdin: str | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess:
        """Run `python -m audifi_db ARGS --database-url URL` in the project folder."""
        return subprocess.run(
            self.command(args, url),
            cwd=self.root,
            env=env or self.env(),
            # never the developer's terminal: a test must not stop at a prompt
            **({"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def on_terminal(
        self, *args: str, keys: bytes, url: str | None = "default", env: dict | None = None
    ) -> subprocess.CompletedProcess:
        """Run the CLI with a terminal (a pty) as its stdin, `keys` typed into it in advance
        (b"y\n", or b"\x04" for Ctrl-D); stdout and stderr are captured."""
        import pty

        leader, follower = pty.openpty()
        try:
            os.write(leader, keys)
            return subprocess.run(
                self.command(args, url),
                cwd=self.root,
                env=env or self.env(),
                stdin=follower,
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            os.close(leader)
            os.close(follower)

    def spawn(self, *args: str, env: dict | None = None) -> subprocess.Popen:
        """The CLI running in the background, as a user's terminal would start it: with
        Ctrl-C (SIGINT) handled, even when this test run was started where it is ignored
        (a shell's background job without job control passes SIG_IGN to its children)."""
        command = [sys.executable, "-m", "audifi_db", *args, "--database-url", self.url]
        return subprocess.Popen(
            command,
            cwd=self.root,
            env=env or self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_default_sigint,
        )

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return query(self.url, sql, params)

    @contextmanager
    def holding(self, key: int) -> Iterator[None]:
        """Hold advisory lock `key` in a session of the test's own: a migration waiting on it
        blocks until the block ends."""
        gate = psycopg2.connect(self.url)
        gate.autocommit = True
        try:
            with gate.cursor() as cur:
                cur.execute("select pg_advisory_lock(%s)", (key,))
            yield
        finally:
            gate.close()

    def history(self) -> list[tuple]:
        return self.query(
            "SELECT version, state, statements_applied, statements_total, failed_line, error "
            "FROM audifi_migrations ORDER BY id"
        )


@pytest.fixture
def project(tmp_path, db_url) -> Project:
    return Project(tmp_path / "project", db_url)


@pytest.fixture
def embedded_project(db_url) -> Iterator[Project]:
    """A project for the embedded server, outside pytest's temporary folders: the server
    runs as another user when we are root, and a concurrent pytest run closes those folders
    to other users (mode 0700) while it runs. Its server is stopped afterwards."""
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="audifi-embedded-"))
    project = Project(root / "project", db_url)
    try:
        yield project
    finally:
        project.cli("embedded", "stop", url=None)
        shutil.rmtree(root, ignore_errors=True)
