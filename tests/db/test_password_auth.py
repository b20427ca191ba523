"""A wrong password against a server that checks passwords (scram-sha-256), started here."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from servers import BIN, as_server_user, free_port


@pytest.fixture(scope="module")
def password_server():
    root = Path(tempfile.mkdtemp(prefix="audifi-pw-"))
    root.chmod(0o777)
    data, pwfile = root / "data", root / "pw"
    pwfile.write_text("right-password\n")
    pwfile.chmod(0o644)
    port = free_port()
    subprocess.run(
        as_server_user(
            [
                str(BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
            ]
        ),
        check=True,
        capture_output=True,
    )
    start = [
        str(BIN / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(root / "log"),
        "start",
        "-o",
        f"-p {port} -h 127.0.0.1 -k {root}",
    ]
    subprocess.run(as_server_user(start), check=True, capture_output=True)
    yield port
    subprocess.run(
        as_server_user([str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
        capture_output=True,
    )
    shutil.rmtree(root, ignore_errors=True)


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
