"""PostgreSQL servers a test starts for itself on loopback, from pgserver's binaries (the
shared test server's configuration is not ours to change), as an unprivileged user."""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
from pathlib import Path

import pgserver

BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    """Commands run as an unprivileged user when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return command
    for name in ("postgres", "pgserver", "nobody"):
        try:
            pwd.getpwnam(name)
            return ["runuser", "-u", name, "--", *command]
        except KeyError:
            continue
    raise RuntimeError("no unprivileged user to run PostgreSQL as")


class Server:
    """One cluster in `root/name` (root must be writable by the server user)."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.data, self.port = root, root / name, free_port()
        self.log = root / f"{name}.log"

    def run(self, *command: str) -> None:
        subprocess.run(
            as_server_user([str(BIN / command[0]), *command[1:]]), check=True, capture_output=True
        )

    def configure(self, **settings: str) -> None:
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.writelines(f"{key} = '{value}'\n" for key, value in settings.items())

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.root}"
        self.run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.log), "start", "-o", options)

    def stop(self) -> None:
        subprocess.run(
            as_server_user([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"]),
            capture_output=True,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
