"""`LOCK TABLE`.

An explicit lock is held until the migration's transaction ends. From `SHARE` up it blocks
writes (error), `ACCESS EXCLUSIVE` (the default mode) blocks reads too; weaker modes only
block DDL (warning). Let each statement take the lock it needs, briefly, and keep
migrations that need a lock short.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..locks import LockMode
from ..model import Hit, Severity
from ..nodes import location_of, relation_name

ID = "lock-table"
SEVERITY = Severity.ERROR
NODE_TYPES = ("LockStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    mode = LockMode(statement.body["mode"])
    for wrapped in statement.body["relations"]:
        relation = wrapped["RangeVar"]
        if ctx.is_new(relation):
            continue
        yield Hit(
            f"LOCK TABLE holds {mode.label} on {relation_name(relation)} until the migration "
            "commits",
            "-- remove the LOCK TABLE; each statement takes the lock it needs",
            at=location_of(relation),
            severity=None if mode.blocks_writes else Severity.WARNING,
        )
