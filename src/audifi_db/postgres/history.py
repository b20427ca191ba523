"""The history table: one row per attempt to apply a migration (or to load a seed).

Contract: `ensure` runs under the migration lock (two runners never race to create or
upgrade it); `read` never creates anything, so `status` and `validate` are read-only. A
transactional migration's `applied` row is written by `record_applied` inside the
migration's own transaction, which it commits; a no-transaction migration gets `start` (in_progress),
`progress` after each statement, then `finish` or `fail`. Every row of one run carries
its `run_id` and `notes` (the overrides a human gave it, with their reasons).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..config import Settings
from ..errors import ConfigError
from ..model import RECORDED_STATES, HistoryRow, Migration, State
from .connect import Connection

_COLUMNS = list(HistoryRow._fields)
# What planning and `status` read of each version's latest attempt.
_STATUS_COLUMNS = [
    "id",
    "version",
    "name",
    "checksum",
    "state",
    "transactional",
    "started_at",
    "finished_at",
    "duration_ms",
    "statements_applied",
    "statements_total",
    "failed_line",  # where a failed migration stopped: status annotates it in GitHub Actions
    "error",
    "applied_by",
    "sqlstate",
    "notes",
]
# Most rows' notes are empty: NULL spares parsing the JSON of each.
_EXPRESSIONS = {"notes": "NULLIF(notes, '{}') AS notes"}
_STATES = ", ".join(f"'{state.value}'" for state in RECORDED_STATES)
# Columns added after the first release, with their definitions: `ensure` adds what a
# table made by an older audifi-db lacks.
_ADDED_COLUMNS = {
    "kind": "text NOT NULL DEFAULT 'migration'",
    "run_id": "text",
    "sqlstate": "text",
    "notes": "jsonb NOT NULL DEFAULT '{}'",
    "metrics": "jsonb NOT NULL DEFAULT '{}'",
}

# An in_progress row's duration when it ends: the server's clock on both sides, so that it is
# finished_at - started_at even when the row spans several attempts (lock-timeout retries).
_SINCE_STARTED = "(extract(epoch FROM now() - started_at) * 1000)::bigint"


_ORIGINAL_COLUMNS = [c for c in _COLUMNS if c not in _ADDED_COLUMNS]


class History:
    def __init__(
        self,
        conn: Connection,
        schema: str,
        table: str,
        environment: str,
        *,
        run_id: str | None = None,
        notes: Mapping[str, Any] | None = None,
    ) -> None:
        self.conn = conn
        self.schema, self.table = schema, table
        self.name = f"{quote_ident(schema)}.{quote_ident(table)}"
        self.environment = environment
        self.run_id, self.notes = run_id, dict(notes or {})

    @classmethod
    def of(cls, conn: Connection, settings: Settings) -> History:
        """The history table the settings name, for their environment."""
        return cls(conn, settings.history.schema, settings.history.table, settings.environment)

    def for_run(self, run_id: str, notes: Mapping[str, Any]) -> History:
        """The same table, writing rows that carry this run's id and notes."""
        return History(
            self.conn, self.schema, self.table, self.environment, run_id=run_id, notes=notes
        )

    def columns(self) -> list[str] | None:
        """The table's columns, or None when it does not exist (one round trip)."""
        row = self.conn.query_one(
            "SELECT array_agg(attname::text) FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
            (self.name,),
        )
        return row[0] if row else None

    def exists(self) -> bool:
        return self.columns() is not None

    def _checked_columns(self) -> list[str] | None:
        """`columns`, refusing a table of that name that is not an audifi-db history."""
        existing = self.columns()
        missing = [c for c in _ORIGINAL_COLUMNS if existing is not None and c not in existing]
        if missing:
            raise ConfigError(
                f"table {self.name} is not an audifi-db history table (no column {missing[0]})",
                "set [history] table (AUDIFI_DB_HISTORY_TABLE) to a name of its own",
            )
        return existing

    def ensure(self) -> None:
        """Create the table, or bring one made by an older audifi-db up to date."""
        self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.schema)}")
        existing = self.columns()
        if existing is None:
            self._create()
            return
        for column, definition in _ADDED_COLUMNS.items():
            if column not in existing:
                self.conn.execute(
                    f"ALTER TABLE {self.name} ADD COLUMN IF NOT EXISTS {column} {definition}"
                )
        self._upgrade_state_check()

    def _create(self) -> None:
        added = ",\n".join(f"{c} {d}" for c, d in _ADDED_COLUMNS.items())
        self.conn.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {self.name} (
                id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                version            text NOT NULL,
                name               text NOT NULL,
                checksum           text NOT NULL,
                state              text NOT NULL,
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
                environment        text,
                {added},
                CONSTRAINT {quote_ident(self._state_check)} CHECK (state IN ({_STATES}))
            )
            """
        )
        self._create_applied_once_index()

    def _create_applied_once_index(self) -> None:
        """A version is applied once: a second runner that somehow got past the lock fails
        on this index instead of recording the same migration twice. (A changed seed file is
        loaded again, so seeds are not in it.)"""
        once = quote_ident(f"{self.table}_applied_once")
        self.conn.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {once} ON {self.name} (version) "
            "WHERE state IN ('applied', 'baselined') AND kind = 'migration'"
        )

    @property
    def _state_check(self) -> str:
        return f"{self.table}_state_check"

    def _upgrade_state_check(self) -> None:
        """Older tables allow fewer states: widen the check when a state is missing from it."""
        row = self.conn.query_one(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND conname = %s",
            (self.name, self._state_check),
        )
        if row and all(f"'{state.value}'" in row[0] for state in RECORDED_STATES):
            return
        check = quote_ident(self._state_check)
        self.conn.execute(
            f"ALTER TABLE {self.name} DROP CONSTRAINT IF EXISTS {check}, "
            f"ADD CONSTRAINT {check} CHECK (state IN ({_STATES}))"
        )
        once = quote_ident(f"{self.table}_applied_once")
        self.conn.execute(f"DROP INDEX IF EXISTS {quote_ident(self.schema)}.{once}")
        self._create_applied_once_index()

    def read(self, *, kind: str = "migration") -> list[HistoryRow]:
        """The latest attempt of each version of one kind, in version order, with what
        planning and `status` need; [] when there is no table yet."""
        existing = self._checked_columns()
        if existing is None:
            return []
        present = [c for c in _STATUS_COLUMNS if c in existing]
        selected = ", ".join(_EXPRESSIONS.get(c, c) for c in present)
        where = "WHERE kind = %s" if "kind" in existing else "WHERE %s = 'migration'"
        rows = self.conn.query(
            f"SELECT DISTINCT ON (version) {selected} FROM {self.name} {where} "
            "ORDER BY version, id DESC",
            (kind,),
        )
        return _rows(present, rows)

    def recent(self, limit: int, version: str | None = None) -> list[HistoryRow]:
        """The newest attempts first, metrics included (for `audifi-db history`)."""
        existing = self._checked_columns()
        if existing is None:
            return []
        present = [c for c in _COLUMNS if c in existing]
        where, params = ("WHERE version = %s", (version, limit)) if version else ("", (limit,))
        rows = self.conn.query(
            f"SELECT {', '.join(present)} FROM {self.name} {where} ORDER BY id DESC LIMIT %s",
            params,
        )
        return _rows(present, rows)

    def _insert(self, values: dict, then_commit: bool = False) -> int | None:
        """The row; its id, or None when COMMIT followed in the same round trip."""
        values = {
            **values,
            "applied_by_host": _host(),
            "tool_version": __version__,
            "environment": self.environment,
            "run_id": self.run_id,
            "notes": json.dumps(self.notes),
        }
        if "metrics" in values:
            values["metrics"] = json.dumps(values["metrics"], default=str)
        names = [k for k in values if k != "applied_by_host"]
        placeholders = ", ".join(f"%({k})s" for k in names)
        sql = (
            f"INSERT INTO {self.name} ({', '.join(names)}, applied_by) "
            f"VALUES ({placeholders}, current_user || '@' || %(applied_by_host)s)"
        )
        if then_commit:
            self.conn.execute(f"{sql}; COMMIT", values)
            return None
        return self.conn.query_one(f"{sql} RETURNING id", values)[0]

    def _attempt(
        self,
        migration: Migration,
        state: State,
        kind: str,
        then_commit: bool = False,
        **values: Any,
    ) -> int | None:
        return self._insert(
            {
                "version": migration.version,
                "name": migration.name,
                "checksum": migration.checksum,
                "state": state.value,
                "transactional": migration.transactional,
                "kind": kind,
                **values,
            },
            then_commit,
        )

    def record_applied(
        self,
        migration: Migration,
        started_at: datetime,
        duration_ms: int,
        total: int,
        rows: int,
        *,
        kind: str = "migration",
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        """Within the migration's transaction: the row that says it is applied, and the
        transaction's COMMIT, in one round trip (one per migration saved)."""
        self._attempt(
            migration,
            State.APPLIED,
            kind,
            started_at=started_at,
            finished_at=_now(),
            duration_ms=duration_ms,
            statements_applied=total,
            statements_total=total,
            rows_affected=rows,
            metrics=metrics or {},
            then_commit=True,
        )

    def record_failed(
        self,
        migration: Migration,
        started_at: datetime,
        duration_ms: int,
        total: int,
        applied: int,
        failure: Mapping[str, Any],
        *,
        kind: str = "migration",
        metrics: Mapping[str, Any] | None = None,
    ) -> int:
        """After a transactional migration rolled back: the failed attempt, for the record,
        with what was measured until it failed."""
        return self._attempt(
            migration,
            State.FAILED,
            kind,
            started_at=started_at,
            finished_at=_now(),
            duration_ms=duration_ms,
            statements_applied=applied,
            statements_total=total,
            metrics=metrics or {},
            **failure,
        )

    def record_baselined(self, migration: Migration) -> int:
        """`baseline`: the migration's effect is already in the database; no SQL was run."""
        return self._attempt(migration, State.BASELINED, "migration", finished_at=_now())

    def start(self, migration: Migration, total: int, applied: int) -> int:
        return self._attempt(
            migration,
            State.IN_PROGRESS,
            "migration",
            statements_applied=applied,
            statements_total=total,
        )

    def progress(self, row_id: int, applied: int, rows: int) -> None:
        self.conn.execute(
            f"UPDATE {self.name} SET statements_applied = %s, rows_affected = %s WHERE id = %s",
            (applied, rows, row_id),
        )

    def finish(self, row_id: int, metrics: Mapping[str, Any]) -> None:
        """An in_progress row applied: its duration from its start, retries included."""
        self.conn.execute(
            f"UPDATE {self.name} SET state = 'applied', finished_at = now(), "
            f"duration_ms = {_SINCE_STARTED}, metrics = %s WHERE id = %s",
            (json.dumps(metrics, default=str), row_id),
        )

    def add_metrics(self, version: str, kind: str, extra: Mapping[str, Any]) -> None:
        """Merge what was observed from outside the migration (the lock watcher's waiters and
        sampled locks) into the `metrics` of the newest attempt of `version`."""
        self.conn.execute(
            f"UPDATE {self.name} SET metrics = metrics || %s::jsonb "
            f"WHERE id = (SELECT max(id) FROM {self.name} WHERE version = %s AND kind = %s)",
            (json.dumps(extra, default=str), version, kind),
        )

    def fail(self, row_id: int, failure: Mapping[str, Any], metrics: Mapping[str, Any]) -> None:
        """An in_progress row failed: its duration from its start, retries included."""
        self.conn.execute(
            f"UPDATE {self.name} SET state = 'failed', finished_at = now(), "
            f"duration_ms = {_SINCE_STARTED}, failed_statement = %s, failed_line = %s, "
            "error = %s, sqlstate = %s, metrics = %s WHERE id = %s",
            (
                failure["failed_statement"],
                failure["failed_line"],
                failure["error"],
                failure["sqlstate"],
                json.dumps(metrics, default=str),
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


def _host() -> str:
    """This machine's name, for `applied_by` (socket is imported here: a read of the history,
    as `status` does, need not pay for it)."""
    import socket

    return socket.gethostname()


def _now() -> datetime:
    return datetime.now(UTC)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_STATE_OF = {state.value: state for state in State}


def _rows(columns: list[str], rows: list[tuple]) -> list[HistoryRow]:
    """HistoryRows from rows of `columns` (some of its fields, in any order); a field not
    selected, or NULL, takes its default. Built by position, not by keyword: `status` reads
    thousands, and this is twice as fast."""
    at = {name: i for i, name in enumerate(columns)}
    defaults = HistoryRow._field_defaults
    picks = [(at.get(name, -1), defaults.get(name)) for name in HistoryRow._fields]
    state = HistoryRow._fields.index("state")
    built = []
    for values in rows:
        fields = [
            default if i < 0 or values[i] is None else values[i] for i, default in picks
        ]
        fields[state] = _STATE_OF[fields[state]]
        built.append(HistoryRow._make(fields))
    return built
