"""`UPDATE` or `DELETE` of a whole table in one statement.

One statement that writes every row locks every row until it commits: application
updates of those rows wait for all of it (measured on tracks: a 28 s backfill stalled app
writes for 26 s), and it bloats the table and the WAL at once. Batch it: a
`-- audifi-db: no-transaction` migration whose statements each touch a bounded set of
rows. Writes to a table created earlier in the same migration are fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of, relation_name

ID = "update-or-delete-without-where"
SEVERITY = Severity.ERROR
NODE_TYPES = ("UpdateStmt", "DeleteStmt")


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if "whereClause" in body or ctx.is_new(body["relation"]):
        return
    table = relation_name(body["relation"])
    verb = "UPDATE" if statement.node_type == "UpdateStmt" else "DELETE"
    change = f"UPDATE {table} SET …" if verb == "UPDATE" else f"DELETE FROM {table}"
    yield Hit(
        f"{verb} without WHERE writes every row of {table} in one transaction",
        recipes.batched(table, change, "<not yet done>"),
        at=location_of(body["relation"]),
    )
