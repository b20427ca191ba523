"""Dropping the default of a `NOT NULL` column.

Old code that inserts rows without naming the column relied on the default: once it is
gone, each such insert fails with a not-null violation. The linter knows from the schema
model (earlier migrations, or the live database) that the column is `NOT NULL`; with the
column unknown it says nothing. Deploy code that always sets the column, then drop the
default in the next release. A table created in this run is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of

ID = "dropping-required-column-default"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_ColumnDefault",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    table = ctx.table(statement.body["relation"])
    for name, cmd in ctx.altered(statement, "AT_ColumnDefault"):
        column = table.column(cmd["name"]) if table else None
        if "def" in cmd or column is None or not column.not_null or not column.has_default:
            continue
        yield Hit(
            f"{name}.{column.name} is NOT NULL: inserts that omit it relied on the default "
            "and fail once it is dropped",
            recipes.two_releases(
                f"inserts that omit {column.name}",
                f"ALTER TABLE {name} ALTER COLUMN {column.name} DROP DEFAULT",
            ),
            at=location_of(statement.body["relation"]),
        )
