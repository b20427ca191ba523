"""The library API: one function per command, for the CLI and for scripts.

Each takes Settings (and, where a run reports progress, listeners of its events) and
returns values; none prints. `audifi_db.operations.deploy(settings, [listener])` is what
`audifi-db deploy` runs.
"""

from .backup import backup, list_backups, restore, verify_backup
from .common import database_url, refuse_protected
from .inspect import StatusReport, erd, status, validate
from .lint import lint_pending, lint_server_version, pending_migrations
from .records import new, resolve
from .run import deploy, dev, reset, seed

__all__ = [
    "StatusReport",
    "backup",
    "database_url",
    "deploy",
    "dev",
    "erd",
    "lint_pending",
    "lint_server_version",
    "list_backups",
    "new",
    "pending_migrations",
    "refuse_protected",
    "reset",
    "resolve",
    "restore",
    "seed",
    "status",
    "validate",
    "verify_backup",
]
