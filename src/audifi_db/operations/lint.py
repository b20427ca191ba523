"""The linter against a target: the migrations not yet applied, judged against its live
schema (the catalogue read through `postgres/`, then the pending migrations on top)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import discovery
from ..config import Settings
from ..model import Migration
from ..planning import not_yet_applied, statuses
from .common import database_url
from .inspect import status

if TYPE_CHECKING:
    from ..postgres.connect import Connection


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
    """Findings of the migrations not yet applied to the target environment, each judged
    against the target's live schema and the pending migrations before it."""
    from ..postgres.connect import connect

    with connect(database_url(settings), f"audifi-db ({settings.environment})") as conn:
        return lint_against_target(settings, pending_on(settings, conn), conn, server_version)


def pending_on(settings: Settings, conn: Connection) -> list[Migration]:
    """`pending_migrations`, on a connection already open."""
    from ..postgres.history import History

    migrations = discovery.discover(settings.migrations.dir)
    return not_yet_applied(statuses(migrations, History.of(conn, settings).read()))


def lint_against_target(
    settings: Settings,
    migrations: Sequence[Migration],
    conn: Connection,
    server_version: int | None = None,
) -> list:
    """Findings of `migrations`, pending on the database behind `conn`: the schema model
    starts from its live catalogue (with table sizes, search_path and TimeZone), what
    earlier pending migrations create is new, and the planner estimates (EXPLAIN, never
    ANALYZE) how many rows a data change writes. For the lint gate of `dev` and `deploy`."""
    from ..lint.engine import lint_pending as lint_migrations
    from ..lint.schema import from_catalog
    from ..postgres.catalog_schema import estimate_rows, read_catalog

    version = _version(settings, conn, server_version)
    return lint_migrations(
        sql_only(migrations),
        version,
        schema=from_catalog(read_catalog(conn)),
        estimate=lambda sql: estimate_rows(conn, [sql]).get(sql),
    )


def explain_pending(settings: Settings, server_version: int | None = None) -> list:
    """`lint --explain` of the pending migrations: (path, explained statements) pairs,
    judged against the target's live schema."""
    from ..lint.engine import explain_source
    from ..lint.schema import from_catalog
    from ..postgres.catalog_schema import read_catalog
    from ..postgres.connect import connect

    with connect(database_url(settings), f"audifi-db ({settings.environment})") as conn:
        pending = sql_only(pending_on(settings, conn))
        version = _version(settings, conn, server_version)
        schema = from_catalog(read_catalog(conn))
    return [(m.path, explain_source(m.path, m.sql, version, schema=schema)) for m in pending]


def sql_only(migrations: Sequence[Migration]) -> list[Migration]:
    """The migrations the linter reads: a Python migration's SQL is made when it runs."""
    return [m for m in migrations if not m.is_python]


def _version(settings: Settings, conn: Connection, server_version: int | None) -> int:
    from ..postgres import catalog

    return server_version or settings.lint.server_version or catalog.server_version(conn)
