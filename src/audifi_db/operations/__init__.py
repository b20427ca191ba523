"""The library API: one function per command, for the CLI and for scripts.

Each takes Settings (and, where a run reports progress, listeners of its events) and
returns values; none prints. `audifi_db.operations.deploy(settings, [listener])` is what
`audifi-db deploy` runs.
"""

from .common import database_url, refuse_protected
from .inspect import StatusReport, erd, status, validate
from .lint import lint_pending, lint_server_version, pending_migrations
from .records import new, resolve
from .report import EnvironmentReport, environment_report, history, history_json
from .run import deploy, dev, reset, seed

__all__ = [
    "EnvironmentReport",
    "StatusReport",
    "database_url",
    "deploy",
    "dev",
    "environment_report",
    "erd",
    "history",
    "history_json",
    "lint_pending",
    "lint_server_version",
    "new",
    "pending_migrations",
    "refuse_protected",
    "reset",
    "resolve",
    "seed",
    "status",
    "validate",
]
