"""Adding a column whose default or generated value is computed row by row.

PostgreSQL >= 11 adds a column with a constant or STABLE default (`0`, `'x'`, `now()`) by
writing the value once in the catalog. A VOLATILE default (`random()`,
`gen_random_uuid()`, `clock_timestamp()`, `nextval()`, and any function not known to be
STABLE or IMMUTABLE), or on PostgreSQL < 11 any default,
rewrites the whole table under ACCESS EXCLUSIVE (measured on tracks: 8 s of downtime).
Add the column without the default, set the default for new rows, backfill in batches.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..locks import column_rewrite_cause, is_identity_column, stored_generated
from ..model import Hit, Severity
from ..nodes import location_of, sql_type

ID = "adding-column-with-volatile-default"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AddColumn",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, cmd in ctx.altered(statement, "AT_AddColumn"):
        column = cmd["def"]["ColumnDef"]
        cause = column_rewrite_cause(column, ctx.server_version)
        generated = stored_generated(column, ctx.server_version)
        if cause and not is_identity_column(column) and not generated:
            name = column["colname"]
            yield Hit(
                f"adding {table}.{name} rewrites the table: {cause}",
                f"""ALTER TABLE {table} ADD COLUMN {name} {sql_type(column["typeName"])};
ALTER TABLE {table} ALTER COLUMN {name} SET DEFAULT <expression>;
-- next migration: backfill in batches
{recipes.batched(table, f"UPDATE {table} SET {name} = <expression>", f"{name} IS NULL")}""",
                at=location_of(column),
                table=ctx.table(statement.body["relation"]),
            )
