"""`UPDATE` or `DELETE` that writes every row of an existing table in one statement.

One statement that writes every row locks every row until the migration commits:
application updates of those rows wait for all of it (measured on tracks: a 28 s backfill
stalled app writes for 26 s), and it bloats the table and the WAL at once. The linter
reports a write whose predicate matches every row: no `WHERE`, a constant one (`WHERE
true`, `WHERE 1 = 1`), or a backfill whose `WHERE` reads only columns added in this run
(`WHERE new_col IS NULL`: every row still holds the same value). A predicate on other
columns is not reported (an indexed, selective one is the safe form) — except with a
database at hand, when the planner's own estimate (`EXPLAIN` without `ANALYZE`) says it
matches 10,000 rows or more. Batch it: a `-- audifi-db: no-transaction` migration whose
statements each touch a bounded set of rows. Writes to a table created in this run are
fine, and on a table of a few hundred rows the finding is a warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of, relation_name, walk
from ..schema import Table

ID = "update-or-delete-without-where"
SEVERITY = Severity.ERROR
NODE_TYPES = ("UpdateStmt", "DeleteStmt")


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if ctx.is_new(body["relation"]):
        return
    table = ctx.table(body["relation"])
    reason = _matches_every_row(ctx, table, body.get("whereClause"))
    if reason is None and "whereClause" in body and table is not None:
        estimate = ctx.estimate(statement.text)
        if estimate is not None and estimate >= recipes.BATCH_ROWS:
            reason = f"matches about {estimate:,.0f} rows (the planner's estimate)"
    if reason is None:
        return
    name = relation_name(body["relation"])
    verb = "UPDATE" if statement.node_type == "UpdateStmt" else "DELETE"
    change = f"UPDATE {name} SET …" if verb == "UPDATE" else f"DELETE FROM {name}"
    yield Hit(
        f"{verb} {reason}: it writes every matching row of {name} in one transaction, "
        "holding their row locks until the migration commits",
        recipes.batched(name, change, "<not yet done>"),
        at=location_of(body["relation"]),
        table=table,
    )


def _matches_every_row(ctx: Context, table: Table | None, where: dict | None) -> str | None:
    if where is None:
        return "has no WHERE"
    read = set()
    for node in walk(where):
        if "SubLink" in node:
            return None  # reads another table: no telling
        ref = node.get("ColumnRef")
        if ref is not None and "String" in ref["fields"][-1]:
            read.add(ref["fields"][-1]["String"]["sval"])
    if not read:
        return "has a constant WHERE"
    columns = [table.column(name) for name in read] if table is not None else [None]
    if all(c is not None and ctx.schema.is_new_column(c) for c in columns):
        added = ", ".join(sorted(read))
        return (
            f"is a backfill: its WHERE reads only {added}, added in this run, the same in every row"
        )
    return None
