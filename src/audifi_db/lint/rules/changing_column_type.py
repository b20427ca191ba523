"""Changing a column's type in a way that rewrites the table.

`ALTER COLUMN … TYPE` rewrites the table and every index under an ACCESS EXCLUSIVE lock:
no reads, no writes until it is done (int -> bigint on AudiFi's 5 M-row tracks: 7 s of
downtime). Changes PostgreSQL makes in the catalog only are not reported: to `text`,
`varchar`, `varchar(n)` or `numeric(p, s)` without `USING` (the linter assumes the column
was a narrower varchar or numeric; any other old type does rewrite). For the others: add a
new column, keep it in sync with a trigger, backfill in batches, then swap.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..locks import is_binary_compatible_change
from ..model import Hit, Severity
from ..nodes import location_of, sql_type

ID = "changing-column-type"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AlterColumnType",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, cmd in ctx.altered(statement, "AT_AlterColumnType"):
        column = cmd["def"]["ColumnDef"]
        if is_binary_compatible_change(column):
            continue
        old, new = cmd["name"], f"{cmd['name']}_new"
        new_type = sql_type(column["typeName"])
        yield Hit(
            f"changing {table}.{old} to {new_type} rewrites the table and its indexes",
            f"""-- migration 1
ALTER TABLE {table} ADD COLUMN {new} {new_type};
-- + a BEFORE INSERT OR UPDATE trigger that sets NEW.{new} := NEW.{old}
-- migration 2 (-- audifi-db: no-transaction): backfill {new} in batches of 10,000 rows
-- migration 3: swap in one short transaction
ALTER TABLE {table} DROP COLUMN {old};
ALTER TABLE {table} RENAME COLUMN {new} TO {old};
-- (then drop the sync trigger)""",
            at=location_of(column),
        )
