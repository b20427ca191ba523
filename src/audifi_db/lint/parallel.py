"""Spread a short burst of CPU work (linting many files) over the machine's cores."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from typing import TypeVar

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
