"""Rich's progress displays and listener threads that print at the same time."""

from __future__ import annotations

import subprocess
import sys
import weakref

from rich.console import Console
from rich.progress import SpinnerColumn

from audifi_db.cli.display import progress_display


def test_the_stand_ins_rich_puts_in_stdout_and_stderr_outlive_the_display():
    """print() on another thread may still hold the stand-in it found in sys.stdout: freed,
    it was a segfault."""
    terminal = Console(stderr=True, force_terminal=True)  # rich swaps streams on terminals only
    with progress_display(SpinnerColumn(), transient=True, console=terminal):
        stand_ins = [weakref.ref(sys.stdout), weakref.ref(sys.stderr)]
        assert type(sys.stdout).__name__ == "FileProxy"
    assert type(sys.stdout).__name__ != "FileProxy"
    assert all(ref() is not None for ref in stand_ins)


STRESS = """
import sys, threading
sys.setswitchinterval(1e-6)
from rich.console import Console
from rich.progress import SpinnerColumn
from audifi_db.cli.display import progress_display

stop = False
def printer():
    while not stop:
        print("applied  x")

printers = [threading.Thread(target=printer, daemon=True) for _ in range(2)]
for thread in printers:
    thread.start()
for _ in range(1500):
    terminal = Console(stderr=True, force_terminal=True)
    with progress_display(SpinnerColumn(), transient=True, console=terminal):
        pass
stop = True
for thread in printers:
    thread.join()
print("survived", file=sys.stderr)
"""


def test_threads_printing_while_displays_come_and_go_do_not_crash_the_process():
    result = subprocess.run(
        [sys.executable, "-c", STRESS], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "survived" in result.stderr and "Error" not in result.stderr
