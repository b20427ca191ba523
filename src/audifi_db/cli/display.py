"""Rich's live progress displays, made safe for a process whose listener threads print.

While a rich display shows on a terminal, rich puts stand-ins (`FileProxy`) in `sys.stdout`
and `sys.stderr`, so that other output is drawn above it, and puts the real streams back when
it stops, which frees the stand-ins. CPython 3.11's `print()` holds only a borrowed reference
to `sys.stdout` while it writes: a listener printing on another thread as a display stopped
wrote into a freed stand-in (seen: a segfault at the end of a deploy on a terminal, as the
spinner of its last long statement went away while "applied …" was printed). The stand-ins
are therefore kept alive until the process ends: two small objects per display shown.
"""

from __future__ import annotations

import sys
from typing import Any

_STAND_INS: list = []  # every stand-in a display put in sys.stdout / sys.stderr


def progress_display(*columns: Any, transient: bool = False, console: Any = None) -> Any:
    """A rich `Progress` on stderr (or `console`) whose stand-ins outlive it."""
    from rich.console import Console
    from rich.progress import Progress

    class _Display(Progress):
        def start(self) -> None:
            super().start()
            _STAND_INS.extend(s for s in (sys.stdout, sys.stderr) if s not in _STAND_INS)

    return _Display(*columns, console=console or Console(stderr=True), transient=transient)
