"""Every helper thread of audifi-db starts here, with SIGINT and SIGTERM blocked in it.

The kernel hands a process-wide signal to any thread that does not block it. A Ctrl-C taken
by a listener's thread would never wake the main thread, which may sit in select() waiting
for the server (a 60-second statement): Python runs signal handlers in the main thread only,
when it next runs bytecode. Blocked everywhere else, the signal goes to the main thread,
interrupts its wait, and the running statement is cancelled at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

_BLOCKED = {signal.SIGINT, signal.SIGTERM}


def start(target: Callable[..., Any], *args: Any, name: str | None = None) -> threading.Thread:
    """A daemon thread running `target(*args)` with the run's signals blocked, started."""

    def run() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
        target(*args)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
