"""Switching a table between `LOGGED` and `UNLOGGED`.

`ALTER TABLE … SET LOGGED` and `SET UNLOGGED` rewrite the whole table (and, to become
logged, write all of it to the WAL) under an ACCESS EXCLUSIVE lock. An unlogged table is
also emptied after a crash and is not replicated. Create the table with the persistence it
needs; to switch a large one, copy it into a new table in batches and swap. A table created
in this run is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of

ID = "setting-table-logged"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_SetLogged", "AlterTableStmt:AT_SetUnLogged")


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, cmd in ctx.altered(statement, "AT_SetLogged", "AT_SetUnLogged"):
        to = "LOGGED" if cmd["subtype"] == "AT_SetLogged" else "UNLOGGED"
        yield Hit(
            f"SET {to} rewrites {table} under ACCESS EXCLUSIVE",
            f"-- create a new {to.lower()} table, copy {table} into it in batches, swap by rename",
            at=location_of(statement.body["relation"]),
            table=ctx.table(statement.body["relation"]),
        )
