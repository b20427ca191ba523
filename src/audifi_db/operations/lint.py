"""The linter against a target: the migrations not yet applied, judged against its server."""

from __future__ import annotations

from ..config import Settings
from ..model import Migration
from ..planning import not_yet_applied
from .common import database_url
from .inspect import status


def pending_migrations(settings: Settings) -> list[Migration]:
    """The migrations not yet applied to the target (pending, failed or in_progress)."""
    return not_yet_applied(status(settings).migrations)


def lint_server_version(settings: Settings) -> int:
    """[lint] server_version if set, else the target database's own."""
    if settings.lint.server_version:
        return settings.lint.server_version
    from ..postgres import catalog
    from ..postgres.connect import connect

    with connect(database_url(settings)) as conn:
        return catalog.server_version(conn)


def lint_pending(settings: Settings, server_version: int | None = None) -> list:
    """Findings of the migrations not yet applied to the target environment."""
    from ..lint.engine import lint_pending as lint_migrations

    version = server_version or lint_server_version(settings)
    sql = [m for m in pending_migrations(settings) if not m.is_python]  # SQL made at run time
    return lint_migrations(sql, version)
