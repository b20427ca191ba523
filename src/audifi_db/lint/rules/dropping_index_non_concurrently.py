"""Dropping an index without `CONCURRENTLY`.

`DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table: every query on that
table waits, including behind a long-running one. Use `DROP INDEX CONCURRENTLY IF EXISTS`
in a `-- audifi-db: no-transaction` migration. Dropping an index created earlier in the
same migration, or of a table created in this run, is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import object_names

ID = "dropping-index-non-concurrently"
SEVERITY = Severity.ERROR
NODE_TYPES = ("DropStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if body["removeType"] != "OBJECT_INDEX" or body.get("concurrent"):
        return
    for name in object_names(body):
        index = ctx.schema.index_named(name)
        table = ctx.schema.tables.get(index.table) if index else None
        if index and (index.origin == ctx.path or table and ctx.schema.is_new_table(table)):
            continue  # an index no running query uses yet
        yield Hit(
            f"DROP INDEX {name} blocks every query on its table until it is dropped",
            recipes.concurrently(f"DROP INDEX CONCURRENTLY IF EXISTS {name}"),
            table=table,
        )
