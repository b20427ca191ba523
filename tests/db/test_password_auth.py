"""A wrong password against a server that checks passwords (scram-sha-256), started here."""

import subprocess
import sys
from pathlib import Path

import pytest
from clusters import Cluster


@pytest.fixture(scope="module")
def password_server():
    cluster = Cluster(password="right-password").start()
    yield cluster.port
    cluster.stop()


def status(url: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audifi_db", "status", "--database-url", url],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_wrong_password_is_one_line_exit_2_and_never_echoed(password_server, tmp_path):
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    url = f"postgresql://postgres:wrong-Pa55@127.0.0.1:{password_server}/postgres"
    result = status(url, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "password authentication failed" in result.stderr
    assert "wrong-Pa55" not in result.stdout + result.stderr
    ok = status(url.replace("wrong-Pa55", "right-password"), tmp_path)
    assert ok.returncode == 0, ok.stderr
