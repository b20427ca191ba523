"""`dump-schema`: the live schema and the history's rows into db/schema.sql."""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..model import DONE_STATES
from .common import database_url


def schema_path(settings: Settings) -> Path:
    """Where the schema file goes: `schema.sql` beside the migrations folder (db/schema.sql)."""
    return settings.migrations.dir.parent / "schema.sql"


def dump_schema(settings: Settings, path: Path | None = None) -> tuple[Path, bool]:
    """Write the schema file (pg_dump --schema-only --no-owner, by a pg_dump at least as new
    as the server, then the history's rows); (its path, whether it changed)."""
    from .. import pgtools, schema_dump
    from ..postgres import catalog
    from ..postgres.connect import connect
    from ..postgres.history import History

    url = database_url(settings)
    with connect(url, "audifi-db (dump-schema)") as conn:
        major = catalog.server_version(conn) // 10000
        history = History.of(conn, settings)
        rows = [row for row in history.read() if row.state in DONE_STATES]
    pg_dump = pgtools.find("pg_dump", major)
    dump = pgtools.run(pg_dump, ["--schema-only", "--no-owner"], url)
    path = path or schema_path(settings)
    return path, schema_dump.write(path, schema_dump.render(dump, history.name, rows))
