"""Adding a stored generated column to an existing table.

`ADD COLUMN … GENERATED ALWAYS AS (…) STORED` computes the value for every existing row: a
full table rewrite under ACCESS EXCLUSIVE. Add a plain nullable column, fill it for new rows
with a trigger, backfill the old rows in batches. From PostgreSQL 18 a generated column
without `STORED` is virtual (computed when read) and adds instantly. A table created in
this run is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..locks import stored_generated
from ..model import Hit, Severity
from ..nodes import location_of, sql_type

ID = "adding-stored-generated-column"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AddColumn",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, cmd in ctx.altered(statement, "AT_AddColumn"):
        column = cmd["def"]["ColumnDef"]
        if not stored_generated(column, ctx.server_version):
            continue
        name = column["colname"]
        yield Hit(
            f"adding the stored generated column {table}.{name} computes it for every row: a "
            "table rewrite",
            f"""ALTER TABLE {table} ADD COLUMN {name} {sql_type(column["typeName"])};
-- + a BEFORE INSERT OR UPDATE trigger that sets NEW.{name} := <expression>
-- next migration (-- audifi-db: no-transaction): backfill {name} in batches""",
            at=location_of(column),
            table=ctx.table(statement.body["relation"]),
        )
