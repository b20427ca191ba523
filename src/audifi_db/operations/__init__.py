"""The library API: one function per command, for the CLI and for scripts.

Each takes Settings (and, where a run reports progress, listeners of its events) and
returns values; none prints. `audifi_db.operations.deploy(settings, [listener])` is what
`audifi-db deploy` runs. Submodules load on first use, so `status` never imports the runner;
no submodule is named like a function here (importing it would shadow the function).
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = {
    "create_database": "admin",
    "drop_database": "admin",
    "embedded_status": "admin",
    "embedded_stop": "admin",
    "embedded_wipe": "admin",
    "wait_for_database": "admin",
    "backup": "backups",
    "list_backups": "backups",
    "restore": "backups",
    "verify_backup": "backups",
    "database_url": "common",
    "refuse_protected": "common",
    "StatusReport": "inspect",
    "erd": "inspect",
    "status": "inspect",
    "validate": "inspect",
    "explain_pending": "lint",
    "lint_against_target": "lint",
    "lint_pending": "lint",
    "lint_server_version": "lint",
    "pending_migrations": "lint",
    "baseline": "records",
    "new": "records",
    "resolve": "records",
    "dump_schema": "schema",
    "deploy": "run",
    "dev": "run",
    "reset": "run",
    "seed": "run",
}
__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
