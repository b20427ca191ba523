"""The history table: one row per attempt to apply a migration.

Contract: `ensure` runs under the migration lock (two runners never race to create it);
`read` never creates anything, so `status` and `validate` are read-only. A transactional
migration's `applied` row is written by `record_applied` inside the migration's own
transaction; a no-transaction migration gets `start` (in_progress), `progress` after each
statement, then `finish` or `fail`.
"""

from __future__ import annotations

import socket
from dataclasses import fields
from datetime import UTC, datetime

from .. import __version__
from ..model import RECORDED_STATES, HistoryRow, State
from .connect import Connection

_COLUMNS = [f.name for f in fields(HistoryRow)]
_STATES = ", ".join(f"'{state.value}'" for state in RECORDED_STATES)


class History:
    def __init__(self, conn: Connection, schema: str, table: str, environment: str) -> None:
        self.conn = conn
        self.schema, self.table = schema, table
        self.name = f"{quote_ident(schema)}.{quote_ident(table)}"
        self.environment = environment
        self.applied_by_host = socket.gethostname()

    def exists(self) -> bool:
        row = self.conn.query_one("SELECT to_regclass(%s) IS NOT NULL", (self.name,))
        return bool(row and row[0])

    def ensure(self) -> None:
        self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.schema)}")
        self.conn.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {self.name} (
                id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                version            text NOT NULL,
                name               text NOT NULL,
                checksum           text NOT NULL,
                state              text NOT NULL CHECK (state IN ({_STATES})),
                transactional      boolean NOT NULL,
                started_at         timestamptz NOT NULL DEFAULT now(),
                finished_at        timestamptz,
                duration_ms        bigint,
                statements_applied integer NOT NULL DEFAULT 0,
                statements_total   integer NOT NULL DEFAULT 0,
                failed_statement   text,
                failed_line        integer,
                error              text,
                rows_affected      bigint,
                applied_by         text,
                tool_version       text,
                environment        text
            )
            """
        )
        # A version is applied once: a second runner that somehow got past the lock fails
        # on this index instead of recording the same migration twice.
        once = quote_ident(f"{self.table}_applied_once")
        self.conn.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {once} ON {self.name} (version) "
            "WHERE state = 'applied'"
        )

    def read(self) -> list[HistoryRow]:
        if not self.exists():
            return []
        rows = self.conn.query(f"SELECT {', '.join(_COLUMNS)} FROM {self.name} ORDER BY id")
        return [_row(values) for values in rows]

    def _insert(self, values: dict) -> int:
        values = {
            **values,
            "applied_by_host": self.applied_by_host,
            "tool_version": __version__,
            "environment": self.environment,
        }
        names = [k for k in values if k != "applied_by_host"]
        placeholders = ", ".join(f"%({k})s" for k in names)
        sql = (
            f"INSERT INTO {self.name} ({', '.join(names)}, applied_by) "
            f"VALUES ({placeholders}, current_user || '@' || %(applied_by_host)s) RETURNING id"
        )
        return self.conn.query_one(sql, values)[0]

    def record_applied(self, migration, started_at, duration_ms: int, total: int, rows: int) -> int:
        """Within the migration's transaction: the row that says it is applied."""
        return self._insert(
            {
                "version": migration.version,
                "name": migration.name,
                "checksum": migration.checksum,
                "state": State.APPLIED.value,
                "transactional": migration.transactional,
                "started_at": started_at,
                "finished_at": _now(),
                "duration_ms": duration_ms,
                "statements_applied": total,
                "statements_total": total,
                "rows_affected": rows,
            }
        )

    def record_failed(self, migration, started_at, duration_ms, total, applied, failure) -> int:
        """After a transactional migration rolled back: the failed attempt, for the record."""
        return self._insert(
            {
                "version": migration.version,
                "name": migration.name,
                "checksum": migration.checksum,
                "state": State.FAILED.value,
                "transactional": migration.transactional,
                "started_at": started_at,
                "finished_at": _now(),
                "duration_ms": duration_ms,
                "statements_applied": applied,
                "statements_total": total,
                **failure,
            }
        )

    def start(self, migration, total: int, applied: int) -> int:
        return self._insert(
            {
                "version": migration.version,
                "name": migration.name,
                "checksum": migration.checksum,
                "state": State.IN_PROGRESS.value,
                "transactional": migration.transactional,
                "statements_applied": applied,
                "statements_total": total,
            }
        )

    def progress(self, row_id: int, applied: int, rows: int) -> None:
        self.conn.execute(
            f"UPDATE {self.name} SET statements_applied = %s, rows_affected = %s WHERE id = %s",
            (applied, rows, row_id),
        )

    def finish(self, row_id: int, duration_ms: int) -> None:
        self.conn.execute(
            f"UPDATE {self.name} SET state = 'applied', finished_at = now(), duration_ms = %s "
            "WHERE id = %s",
            (duration_ms, row_id),
        )

    def fail(self, row_id: int, duration_ms: int, failure: dict) -> None:
        self.conn.execute(
            f"UPDATE {self.name} SET state = 'failed', finished_at = now(), duration_ms = %s, "
            "failed_statement = %s, failed_line = %s, error = %s WHERE id = %s",
            (
                duration_ms,
                failure["failed_statement"],
                failure["failed_line"],
                failure["error"],
                row_id,
            ),
        )

    def resolve(self, last: HistoryRow, state: State, checksum: str) -> int:
        """A human's verdict on a failed or in_progress attempt, recorded as a new row."""
        return self._insert(
            {
                "version": last.version,
                "name": last.name,
                "checksum": checksum,
                "state": state.value,
                "transactional": last.transactional,
                "finished_at": _now(),
                "statements_applied": last.statements_applied,
                "statements_total": last.statements_total,
                "error": f"resolved by hand as {state.value} after: {last.error or last.state}",
            }
        )


def _now() -> datetime:
    return datetime.now(UTC)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row(values: tuple) -> HistoryRow:
    row = dict(zip(_COLUMNS, values, strict=True))
    row["state"] = State(row["state"])
    return HistoryRow(**row)
