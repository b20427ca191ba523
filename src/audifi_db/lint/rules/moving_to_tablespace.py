"""Moving a table or an index to another tablespace.

`ALTER TABLE … SET TABLESPACE` copies the whole table (`ALTER INDEX … SET TABLESPACE` the
whole index) to the new place under an ACCESS EXCLUSIVE lock; `ALTER TABLE ALL IN
TABLESPACE` does it to every table there. Move data between tablespaces outside
migrations, with a tool that copies online (pg_repack --tablespace), or create new objects
in the right tablespace from the start. A table created in this run, or an index of one,
is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import relation_name

ID = "moving-to-tablespace"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_SetTableSpace", "AlterTableMoveAllStmt")

_RECIPE = "-- move it outside migrations: pg_repack --tablespace <name> (copies online)"


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if statement.node_type == "AlterTableMoveAllStmt":
        yield Hit(
            f"moving every table of tablespace {body['orig_tablespacename']} copies each "
            "under ACCESS EXCLUSIVE",
            _RECIPE,
        )
        return
    if body.get("objtype") == "OBJECT_INDEX":
        index = relation_name(body["relation"])
        if not ctx.is_new_index(index):
            yield Hit(f"moving index {index} copies it under ACCESS EXCLUSIVE", _RECIPE)
        return
    for table, _cmd in ctx.altered(statement, "AT_SetTableSpace"):
        yield Hit(
            f"moving {table} copies the whole table under ACCESS EXCLUSIVE",
            _RECIPE,
            table=ctx.table(body["relation"]),
        )
