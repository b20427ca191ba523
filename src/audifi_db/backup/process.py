"""The one module that starts pg_dump, pg_restore and psql (with what `commands` builds).

A password never reaches a child's argument list (anyone on the machine can read it with
`ps`) nor a log line: it goes into a pgpass file of mode 0600, made for the child in a
private temporary folder and removed when the child ends; the child's environment names
the file (PGPASSFILE). A child runs with umask 077: a dump it writes holds every row, and
is its owner's alone (0600). While a child runs, `tick` is called about every
`TICK_SECONDS` so the caller can report progress.
"""

from __future__ import annotations

import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from .. import pgtools, threads
from ..errors import BackupFailedError, ToolError
from ..pgtools import Tool

TICK_SECONDS = 0.5
PRIVATE_UMASK = 0o077  # what a child writes is readable by its owner only
PUMP_CHUNK = 1 << 20
Tick = Callable[[Sequence[int]], None]


@dataclass(frozen=True)
class Finished:
    returncode: int
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def why(self, name: str) -> str:
        """What went wrong, in the child's own last words or by the signal that ended it."""
        if self.returncode < 0:
            try:
                signame = signal.Signals(-self.returncode).name
            except ValueError:
                signame = f"signal {-self.returncode}"
            described = {"SIGXFSZ": " (file size limit exceeded)"}.get(signame, "")
            return f"{name} was killed by {signame}{described}"
        lines = [line.strip() for line in self.stderr.strip().splitlines() if line.strip()]
        errors = [line for line in lines if "error:" in line.lower()] or lines[-1:]
        return errors[0] if errors else f"{name} exited with status {self.returncode}"


def find(name: str, bin_dir: str, need_major: int) -> Tool:
    """`pgtools.find`, failing as a backup fails: the run is refused (exit 1)."""
    try:
        return pgtools.find(name, need_major, bin_dir)
    except ToolError as error:
        raise BackupFailedError(error.message, error.hint) from None


def sibling(tool: Tool, name: str) -> Tool:
    """`pgtools.sibling`, failing as a backup fails."""
    try:
        return pgtools.sibling(tool, name)
    except ToolError as error:
        raise BackupFailedError(error.message, error.hint) from None


def run(args: Sequence[str], env: dict[str, str], tick: Tick | None = None) -> Finished:
    """Run one child to its end, calling `tick([pid])` while it runs."""
    with Running([args], env) as running:
        return running.wait(tick)[0]


class Running:
    """One child, or a producer and a consumer (pg_restore writing SQL, psql running it).

    For a pair, the producer's output reaches the consumer's stdin through this process:
    `prologue` first, then the output, then `epilogue` only if the producer succeeded, so a
    pg_restore that dies half-way never gets its partial SQL committed. `stdin` (an open
    file) is the first child's input. Used as a context manager: leaving the block early
    (Ctrl-C, an error) kills what still runs.
    """

    def __init__(
        self,
        commands: Sequence[Sequence[str]],
        env: dict[str, str],
        *,
        prologue: bytes = b"",
        epilogue: bytes = b"",
        stdin: BinaryIO | None = None,
    ) -> None:
        self.children: list[subprocess.Popen] = []
        self.errors: list = []
        self.pump: threading.Thread | None = None
        try:
            pair = len(commands) == 2
            producer = self._start(
                commands[0], env, stdin=stdin, stdout=subprocess.PIPE if pair else None
            )
            if pair:
                consumer = self._start(commands[1], env, stdin=subprocess.PIPE)
                self.pump = threads.start(_pump, producer, consumer, prologue, epilogue)
        except BaseException:
            self.kill()
            raise

    def _start(self, args: Sequence[str], env: dict[str, str], **pipes) -> subprocess.Popen:
        stderr = tempfile.TemporaryFile()
        self.errors.append(stderr)
        child = subprocess.Popen(
            list(args),
            env=env,
            stdin=pipes.get("stdin") or subprocess.DEVNULL,
            stdout=pipes.get("stdout") or subprocess.DEVNULL,
            stderr=stderr,
            umask=PRIVATE_UMASK,
        )
        self.children.append(child)
        return child

    @property
    def pids(self) -> list[int]:
        return [child.pid for child in self.children]

    def wait(self, tick: Tick | None = None) -> list[Finished]:
        """Wait for every child, calling `tick(pids)` about every TICK_SECONDS; each one's
        outcome, in order."""
        while any(child.poll() is None for child in self.children):
            if tick is not None:
                tick(self.pids)
            time.sleep(TICK_SECONDS)
        if self.pump is not None:
            self.pump.join()
        return [
            Finished(child.returncode, _read(stderr))
            for child, stderr in zip(self.children, self.errors, strict=True)
        ]

    def kill(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.kill()
                child.wait()

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def _pump(
    producer: subprocess.Popen, consumer: subprocess.Popen, prologue: bytes, epilogue: bytes
) -> None:
    source, sink = producer.stdout, consumer.stdin
    assert source is not None and sink is not None
    try:
        sink.write(prologue)
        while chunk := source.read(PUMP_CHUNK):
            sink.write(chunk)
        if producer.wait() == 0:
            sink.write(epilogue)
    except OSError:  # the consumer stopped reading (it failed): its error tells why
        if producer.poll() is None:
            producer.kill()
    finally:
        for stream in (sink, source):
            try:
                stream.close()
            except OSError:
                pass


def _read(stderr) -> str:
    stderr.seek(0)
    text = stderr.read().decode("utf-8", "replace")
    stderr.close()
    return text


def bytes_read(pids: Sequence[int]) -> int | None:
    """Bytes the processes (and their children: pg_restore's workers) have read, from
    /proc; None where /proc does not tell."""
    total, seen = 0, False
    for pid in _with_children(pids):
        try:
            with open(f"/proc/{pid}/io", encoding="ascii") as io:
                for line in io:
                    if line.startswith("rchar:"):
                        total, seen = total + int(line.split()[1]), True
        except OSError:
            continue
    return total if seen else None


def _with_children(pids: Sequence[int]) -> list[int]:
    found = list(pids)
    for pid in pids:
        try:
            with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
                found += [int(child) for child in children.read().split()]
        except OSError:
            continue
    return found
