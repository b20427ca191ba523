"""`TRUNCATE` of an existing table.

`TRUNCATE` empties the table under an ACCESS EXCLUSIVE lock and cannot be undone once
committed; running code loses its rows without warning. Delete what must go in batches, or
if the table really must be emptied, do it by hand after the code stopped using it.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of, relation_name

ID = "truncating-table"
SEVERITY = Severity.ERROR
NODE_TYPES = ("TruncateStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for wrapped in statement.body["relations"]:
        relation = wrapped["RangeVar"]
        if ctx.is_new(relation):
            continue
        table = relation_name(relation)
        yield Hit(
            f"TRUNCATE deletes every row of {table} under ACCESS EXCLUSIVE",
            recipes.batched(table, f"DELETE FROM {table}", "true"),
            at=location_of(relation),
        )
