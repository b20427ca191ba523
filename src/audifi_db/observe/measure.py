"""What the runner measures inside each migration, on the migration's own connection.

`Measurer` is the runner's `measure` (see strategies.Measure). Two reads per migration:

- `begin`, in the round trip of its BEGIN: each relation its statements name (sql.named_relations)
  as it was before: relfilenode and size (none to read when the end of an earlier migration
  of the run read it already);
- `end`, after the last statement and before COMMIT: every user relation the transaction
  holds a lock on (pg_locks of its own backend), with its modes, size and relfilenode.

From the two come the history row's `metrics` (README, "Metrics"): `locks`, `tables`
(bytes before and after, `rewritten` when the relfilenode changed), `indexes` (created or
rebuilt, with their size) and `rows` (per statement that changed rows). A no-transaction
migration holds no lock at its end: its `tables` and `indexes` come from the relations it
names, its locks from the lock watcher (observe.watch).

Both queries are prepared on the session once per run. A failure of either never fails the
migration: `begin` falls back to a plain BEGIN, `end` to the rows per statement alone. A
migration that fails keeps those rows too, as far as it got (`failed`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ServerError
from ..model import RunStatement

if TYPE_CHECKING:  # the runner hands the connection in; importing observe loads no driver
    from ..postgres.connect import Connection

# Statements after which our prepared queries may be gone.
_FORGETS_PREPARED = frozenset({"DeallocateStmt", "DiscardStmt"})
# Statements whose named relation is new: nothing to read before them.
_NEW = frozenset({"CreateStmt"})
LOCK_MODES = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)
KINDS = {"r": "table", "p": "table", "m": "table", "i": "index", "I": "index", "S": "sequence"}


@dataclass
class Begun:
    """What `begin` saw: the statements and the named relations' state before them (None:
    not read, so nothing is said about "before")."""

    stmts: Sequence[RunStatement]
    transaction: bool
    started: float
    before: dict[str, tuple[str, int, int | None]] | None = field(default_factory=dict)


class Measurer:
    """The runner's measure: one per run (its prepared queries belong to the run's session)."""

    def __init__(self) -> None:
        self._prepared_on: Connection | None = None
        self._known = _Known()

    def begin(self, conn: Connection, stmts: Sequence[RunStatement], transaction: bool) -> Begun:
        from ..postgres import catalog

        prepared = self._prepare(conn)  # outside the transaction: a failure harms nothing
        begun = Begun(stmts, transaction, time.perf_counter())
        names = list(
            dict.fromkeys(n for stmt in stmts if stmt.kind not in _NEW for n in stmt.relations)
        )
        begun.before, names = self._known.lookup(names)
        prefix = "BEGIN" if transaction else ""
        if not names:
            if prefix:
                conn.execute(prefix)
            return begun
        try:
            rows = catalog.named_relations(conn, names, prepared=prepared, prefix=prefix)
        except ServerError:  # locked by another session for a second, or our query is gone
            self._prepared_on, begun.before = None, None
            if transaction:  # the failed read aborted the transaction: start it afresh
                conn.execute("ROLLBACK; BEGIN")
            return begun
        begun.before.update({f"{r[0]}.{r[1]}": (r[2], r[3], r[4]) for r in rows})
        return begun

    def end(self, conn: Connection, begun: Begun, rows: Sequence[int | None]) -> Mapping[str, Any]:
        from ..postgres import catalog

        forgot = any(stmt.kind in _FORGETS_PREPARED for stmt in begun.stmts)
        if forgot:
            self._prepared_on = None
        prepared = self._prepared_on is conn
        held_ms = int((time.perf_counter() - begun.started) * 1000)
        try:
            if begun.transaction:
                held = catalog.held_relations(conn, prepared=prepared)
                self._known.learn(begun.stmts, [h[:5] for h in held])
                return shape(begun, held, [], rows, held_ms)
            names = list(dict.fromkeys(n for stmt in begun.stmts for n in stmt.relations))
            after = catalog.named_relations(conn, names, prepared=prepared) if names else []
            self._known.learn(begun.stmts, [a[:5] for a in after])
            return shape(begun, [], after, rows, held_ms)
        except ServerError:
            self._known = _Known()
            return self.failed(begun, rows)

    def failed(self, begun: Begun | None, rows: Sequence[int | None]) -> Mapping[str, Any]:
        """Of an attempt that failed: the rows each statement before the failure changed
        (rolled back with it in a transactional migration); {} when it failed before `begin`."""
        return {} if begun is None else {"rows": _rows(begun.stmts, rows)}

    def _prepare(self, conn: Connection) -> bool:
        """Prepare the queries on this connection once; False if that failed."""
        if self._prepared_on is not conn:
            from ..postgres import catalog

            try:
                catalog.prepare_measures(conn)
            except ServerError:
                return False
            self._prepared_on = conn
        return True


class _Known:
    """What the ends of earlier migrations of this run read, so that the next one need not
    read it again before its first statement: each relation's (relkind, relfilenode, bytes)
    by schema.name, and which relation each name as written led to. Between two migrations
    only another session could change a relation, in those milliseconds."""

    def __init__(self) -> None:
        self.state: dict[str, tuple[str, int, int | None]] = {}
        self.led_to: dict[tuple[str | None, str], str] = {}

    def lookup(
        self, names: Sequence[tuple[str | None, str]]
    ) -> tuple[dict[str, tuple[str, int, int | None]], list[tuple[str | None, str]]]:
        """The state of the named relations known already, and the names still to read."""
        known, unknown = {}, []
        for name in names:
            relation = self.led_to.get(name)
            if relation in self.state:
                known[relation] = self.state[relation]
            else:
                unknown.append(name)
        return known, unknown

    def learn(self, stmts: Sequence[RunStatement], seen: Sequence[tuple]) -> None:
        """After a migration: the state of each relation read at its end, and where each of
        its names led (not after a SET: an unqualified name may lead elsewhere then)."""
        for schema, name, relkind, filenode, size in seen:
            self.state[f"{schema}.{name}"] = (relkind, filenode, size)
        if any(stmt.kind == "VariableSetStmt" for stmt in stmts):
            self.led_to.clear()
            return
        for written in {n for stmt in stmts for n in stmt.relations}:
            found = {
                f"{r[0]}.{r[1]}" for r in seen if r[1] == written[1] and written[0] in (None, r[0])
            }
            if len(found) == 1:  # (the end's read has a row per lock mode)
                self.led_to[written] = found.pop()
            else:
                self.led_to.pop(written, None)


def shape(
    begun: Begun,
    held: Sequence[tuple],
    named_after: Sequence[tuple],
    rows: Sequence[int | None],
    held_ms: int,
) -> dict[str, Any]:
    """The `metrics` JSON of one migration from what `begin` and `end` read."""
    locks: dict[str, dict[str, Any]] = {}
    tables, indexes = {}, []
    for schema, name, relkind, filenode, size, written, of_table, mode in held:
        relation, kind = f"{schema}.{name}", KINDS.get(relkind, "other")
        seen = locks.get(relation)
        if seen is not None:  # one row per mode: keep the strongest
            seen["mode"] = max(seen["mode"], mode, key=lock_strength)
            continue
        locks[relation] = {"relation": relation, "kind": kind, "mode": mode, "held_ms": held_ms}
        if kind == "table":
            tables[relation] = _table(begun, relation, filenode, size)
        elif kind == "index" and written and _changed(begun, relation, filenode):
            indexes.append({"index": relation, "table": of_table, "bytes": size})
    for schema, name, relkind, filenode, size, of_table in named_after:
        relation = f"{schema}.{name}"
        if KINDS.get(relkind) == "table":
            tables[relation] = _table(begun, relation, filenode, size)
        elif KINDS.get(relkind) == "index" and _changed(begun, relation, filenode):
            indexes.append({"index": relation, "table": of_table, "bytes": size})
    result: dict[str, Any] = {"locks": list(locks.values())} if begun.transaction else {}
    result.update(tables=list(tables.values()), indexes=indexes, rows=_rows(begun.stmts, rows))
    return result


def lock_strength(mode: str) -> int:
    return LOCK_MODES.index(mode) if mode in LOCK_MODES else -1


def _changed(begun: Begun, relation: str, filenode: int) -> bool:
    """Built here: it did not exist before, or its storage is new."""
    before = None if begun.before is None else begun.before.get(relation)
    return before is None or before[1] != filenode


def _table(begun: Begun, relation: str, filenode: int, size: int | None) -> dict[str, Any]:
    before = None if begun.before is None else begun.before.get(relation)
    known = before is not None or (begun.before is not None and _named(begun, relation))
    return {
        "table": relation,
        "bytes_before": before[2] if before else (0 if known else None),
        "bytes_after": size,
        "created": (before is None) if known else None,
        "rewritten": None if before is None else before[1] != filenode,
    }


def _named(begun: Begun, relation: str) -> bool:
    """Whether a statement names `relation` (unqualified names match any schema)."""
    schema, _, name = relation.partition(".")
    return any(
        (s in (None, schema)) and n == name for stmt in begun.stmts for s, n in stmt.relations
    )


def _rows(stmts: Sequence[RunStatement], rows: Sequence[int | None]) -> list[dict[str, int]]:
    """Rows changed, per statement that changes rows."""
    return [
        {"statement": stmt.index + 1, "line": stmt.line, "rows": count}
        for stmt, count in zip(stmts, rows, strict=False)
        if count is not None
    ]
