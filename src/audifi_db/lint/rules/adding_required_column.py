"""Adding a required column: `ADD COLUMN … NOT NULL` without a default.

Old code that inserts rows without the new column fails, and on a table with rows the
statement itself fails. Add the column nullable, backfill it, then constrain it: three
migrations, as the seed's "Schema Change Guidelines" prescribe. A `NOT NULL` column *with*
a constant default is fine (PostgreSQL >= 11 stores the default without a rewrite).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import (
    column_default,
    has_constraint,
    location_of,
    sql_type,
)

ID = "adding-required-column"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AddColumn",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, cmd in ctx.altered(statement, "AT_AddColumn"):
        column = cmd["def"]["ColumnDef"]
        if has_constraint(column, "CONSTR_NOTNULL") and column_default(column) is None:
            name = column["colname"]
            yield Hit(
                f"column {name} is added NOT NULL without a default: the statement fails if "
                f"{table} has rows, and old code that inserts without {name} breaks",
                recipes.required_column(table, name, sql_type(column["typeName"])),
                at=location_of(column),
            )
