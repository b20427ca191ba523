"""Lint many files at once: read them (through discovery, the reader of SQL files) and
spread the work over the machine's cores. The one module of lint/ that touches files."""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from .. import discovery
from .engine import lint_source
from .model import Finding

J = TypeVar("J")
R = TypeVar("R")
JOBS_PER_WORKER = 8  # below this, forking costs more than it saves


def fork_map(work: Callable[[J], list[R]], jobs: Sequence[J]) -> list[R]:
    """`work` over `jobs`, results concatenated in job order.

    This process does the first slice, forked children the others (cheaper than a process
    pool for one short burst); an exception in a child is re-raised here.
    """
    shares = min(os.cpu_count() or 1, len(jobs) // JOBS_PER_WORKER)
    if shares < 2 or not hasattr(os, "fork"):
        return [result for job in jobs for result in work(job)]
    size = -(-len(jobs) // shares)
    children = []
    for start in range(size, len(jobs), size):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: work, send the pickled result, exit without cleanup
            os.close(read)
            try:
                payload = pickle.dumps([r for job in jobs[start : start + size] for r in work(job)])
            except BaseException as exc:  # noqa: BLE001 - re-raised in the parent
                payload = pickle.dumps(exc)
            with os.fdopen(write, "wb") as out:
                out.write(payload)
            os._exit(0)
        os.close(write)
        children.append((pid, read))
    results = [r for job in jobs[:size] for r in work(job)]
    for pid, read in children:
        with os.fdopen(read, "rb") as source:
            part = pickle.loads(source.read())
        os.waitpid(pid, 0)
        if isinstance(part, BaseException):
            raise part
        results.extend(part)
    return results


def lint_files(paths: Sequence[str], server_version: int) -> list[Finding]:
    """Findings of SQL files given by path, in order; no database needed."""
    jobs = [(path, discovery.read_sql(Path(path)), server_version) for path in paths]
    # Parse trees are many small dicts and no cycles: the cyclic collector would only walk
    # them again and again (12% of the time) for nothing to free.
    gc.disable()
    try:
        return fork_map(_lint_one, jobs)
    finally:
        gc.enable()


def _lint_one(job: tuple[str, str, int]) -> list[Finding]:
    path, text, version = job
    return lint_source(
        path, text, transactional=discovery.is_transactional(text), server_version=version
    )
