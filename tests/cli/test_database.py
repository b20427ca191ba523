"""`db create`, `db drop`, `deploy --create-db` and `deploy --wait` on the real server."""

import json
import os
import socket
import subprocess
import threading
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from conftest import admin_execute, query, with_database

GOOD = "create table users (id int);\n"


@pytest.fixture
def missing_url(server_url):
    """The URL of a database that does not exist yet (dropped afterwards if a test made it)."""
    name = f"audifi_test_new_{uuid.uuid4().hex[:10]}"
    yield with_database(server_url, name)
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def exists(server_url: str, url: str) -> bool:
    name = url.rpartition("/")[2]
    return bool(query(server_url, "select 1 from pg_database where datname = %s", (name,)))


def test_db_create_then_drop(project, server_url, missing_url):
    created = project.cli("db", "create", url=missing_url)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().endswith("created") and exists(server_url, missing_url)
    again = project.cli("db", "create", "--json", url=missing_url)
    assert again.returncode == 0 and json.loads(again.stdout)["changed"] is False
    unasked = project.cli("db", "drop", url=missing_url)
    assert unasked.returncode == 2 and "--force" in unasked.stderr
    assert exists(server_url, missing_url)
    kept = project.on_terminal("db", "drop", keys=b"n\n", url=missing_url)
    assert kept.returncode == 1 and exists(server_url, missing_url)
    dropped = project.on_terminal("db", "drop", keys=b"y\n", url=missing_url)
    assert dropped.returncode == 0, dropped.stderr
    assert not exists(server_url, missing_url)


def test_db_drop_is_refused_for_protected_environments(project, server_url):
    env = project.env(PRODUCTION_DATABASE_URL=project.url)
    result = project.cli("--env", "production", "db", "drop", "--force", url=None, env=env)
    assert result.returncode == 2 and "`db drop` is refused for the production" in result.stderr
    assert exists(server_url, project.url)


def test_deploy_create_db_creates_it_then_applies(project, server_url, missing_url):
    project.write("20260101000001", "users", GOOD)
    plain = project.cli("deploy", url=missing_url)
    assert plain.returncode == 2 and "`audifi-db db create`" in plain.stderr
    result = project.cli("deploy", "--create-db", url=missing_url)
    assert result.returncode == 0, result.stderr
    assert "created database" in result.stderr
    assert query(missing_url, "select to_regclass('users') is not null") == [(True,)]


def test_deploy_create_db_opens_the_log_file_once(project, missing_url, tmp_path):
    """A FIFO as --log-file: its reader sees every event of the command, each once, before
    its one end-of-file (a second open would wait for a reader that has gone)."""
    project.write("20260101000001", "users", GOOD)
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    read: list[str] = []
    reader = threading.Thread(target=lambda: read.extend(fifo.open().read().splitlines()))
    reader.start()
    args = ("deploy", "--create-db", "--json", "--log-file", str(fifo))
    deploying = subprocess.Popen(
        project.command(args, missing_url),
        cwd=project.root,
        env=project.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        reader.join(60)
        names = [json.loads(line)["event"] for line in read]
        assert names[0] == "database_created" and names[-1] == "run_finished"
        once = ("database_created", "run_started", "run_finished")
        assert [names.count(name) for name in once] == [1, 1, 1]
        stdout, stderr = deploying.communicate(timeout=60)
        assert deploying.returncode == 0, stderr
        assert stdout.splitlines() == read  # --json prints the same lines
    finally:
        deploying.kill()
        if reader.is_alive():  # the command never opened the FIFO: release its reader
            fifo.open("w").close()


def forward_later(port: int, delay: float, target: tuple[str, int]) -> None:
    """After `delay` seconds, accept on `port` and pipe each connection to `target`: a
    server that comes up late, as a container's does."""

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:  # the other direction closed both sockets first
            pass
        sink.close()

    def serve() -> None:
        time.sleep(delay)
        listener = socket.create_server(("127.0.0.1", port))
        listener.settimeout(60)
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def elsewhere(url: str) -> tuple[str, tuple[str, int]]:
    """The URL moved to a free local port, and the (host, port) it was at."""
    parts = urlsplit(url)
    if parts.hostname is None:
        pytest.skip("the test server listens on a Unix socket only")
    user = parts.netloc.rpartition("@")[0]
    moved = urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{free_port()}"))
    return moved, (parts.hostname, parts.port or 5432)


def test_deploy_waits_for_a_server_that_starts_late(project):
    project.write("20260101000001", "users", GOOD)
    late_url, target = elsewhere(project.url)
    forward_later(urlsplit(late_url).port, 8, target)
    result = project.cli("deploy", "--wait", "60", url=late_url)
    assert result.returncode == 0, result.stderr
    waits = [line for line in result.stderr.splitlines() if "waiting for the database" in line]
    assert len(waits) >= 2 and "cannot reach PostgreSQL" in waits[0]  # at 0 s, 5 s, …
    assert "(0 of 60 s)" in waits[0] and "of 60 s)" in waits[1]
    assert project.query("select to_regclass('users') is not null") == [(True,)]


def test_deploy_wait_gives_up_with_the_reason(project):
    project.write("20260101000001", "users", GOOD)
    url, _ = elsewhere(project.url)
    began = time.monotonic()
    result = project.cli("deploy", "--wait", "2", url=url)
    assert result.returncode == 2 and 2 <= time.monotonic() - began < 30
    assert "cannot reach PostgreSQL" in result.stderr and "(waited 2 s)" in result.stderr
