"""PostgreSQL clusters a test starts itself (pgserver's initdb and pg_ctl), as a non-root
user when the tests run as root (PostgreSQL refuses root)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pgserver

BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    """Commands run as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return command
    for name in ("postgres", "pgserver", "nobody"):
        try:
            pwd.getpwnam(name)
            return ["runuser", "-u", name, "--", *command]
        except KeyError:
            continue
    raise RuntimeError("no unprivileged user to run PostgreSQL as")


class Cluster:
    """A cluster in a fresh folder on a free port of 127.0.0.1, user `postgres`.

    `password` turns on scram-sha-256 for every connection; `settings` go to the command
    server's postgresql.conf (values as written there: strings quoted)."""

    def __init__(self, *, password: str | None = None, settings: dict | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="audifi-cluster-"))
        self.root.chmod(0o777)
        self.data, self.port = self.root / "data", free_port()
        self.password, self.settings = password, settings or {}

    def start(self) -> Cluster:
        initdb = [str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres"]
        if self.password is not None:
            pwfile = self.root / "pw"
            pwfile.write_text(self.password + "\n")
            pwfile.chmod(0o644)
            initdb += ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
        else:
            initdb += ["--auth=trust"]
        subprocess.run(as_server_user(initdb), check=True, capture_output=True)
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in self.settings.items())
        options = f"-p {self.port} -h 127.0.0.1 -k {self.root}"
        start = [str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.root / "log")]
        subprocess.run(
            as_server_user([*start, "start", "-o", options]), check=True, capture_output=True
        )
        return self

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        secret = password if password is not None else self.password
        auth = f"postgres:{secret}" if secret is not None else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def folder(self, name: str) -> Path:
        """A folder inside the cluster's root that the server's user can write."""
        path = self.root / name
        path.mkdir()
        path.chmod(0o777)
        return path

    def stop(self) -> None:
        stop = [str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"]
        subprocess.run(as_server_user(stop), capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
