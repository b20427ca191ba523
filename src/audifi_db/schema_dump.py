"""db/schema.sql: pg_dump's schema-only SQL and the history's rows, the same bytes for the
same database, so that it diffs cleanly in review.

pg_dump 17.6, 16.10, 15.14 and later open and close a plain dump with `\\restrict KEY` and
`\\unrestrict KEY` lines whose KEY is random on every run (CVE-2025-8714): they are left out,
as older pg_dump writes it. The history's rows are written with what identifies what was
applied (version, name, checksum, state), not when or by whom, which differ per database.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .model import HistoryRow

_RANDOM_PER_RUN = ("\\restrict ", "\\unrestrict ")


def literal(value: object) -> str:
    """A SQL literal of a string or a boolean."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def render(dump: str, history_table: str, rows: Iterable[HistoryRow]) -> str:
    """The schema file: the dump without its per-run lines, then one INSERT per applied
    migration into `history_table` (schema-qualified: pg_dump empties the search_path)."""
    kept = [line for line in dump.splitlines() if not line.startswith(_RANDOM_PER_RUN)]
    inserts = [
        f"INSERT INTO {history_table} (version, name, checksum, state, transactional) VALUES "
        f"({', '.join(literal(v) for v in (r.version, r.name, r.checksum, r.state.value, r.transactional))});"
        for r in rows
    ]
    history = [
        "--",
        "-- audifi-db: the migration history, one row per migration applied",
        "--",
        "",
        *inserts,
    ]
    return "\n".join([*kept, *history]).rstrip("\n") + "\n"


def write(path: Path, text: str) -> bool:
    """Write `text` to `path` unless it holds it already; whether it changed."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
