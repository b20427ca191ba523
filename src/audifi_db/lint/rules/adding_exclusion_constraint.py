"""Adding an exclusion constraint to an existing table.

`ADD CONSTRAINT … EXCLUDE` builds its index and checks every row under an ACCESS EXCLUSIVE
lock, and unlike a check or a foreign key it cannot be added `NOT VALID`. On a table with
traffic, prefer enforcing the rule in a new table created with the constraint and moving
the rows in batches, or add it when the table is small. A table created in this run is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of

ID = "adding-exclusion-constraint"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AddConstraint",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, constraint, _ in ctx.added_constraints(statement, "CONSTR_EXCLUSION"):
        yield Hit(
            f"the exclusion constraint builds its index and checks all of {table} under "
            "ACCESS EXCLUSIVE (it cannot be NOT VALID)",
            f"-- create the new table with the constraint and move the rows of {table} in "
            "batches,\n-- or acknowledge it while the table is small",
            at=location_of(constraint),
            table=ctx.table(statement.body["relation"]),
        )
