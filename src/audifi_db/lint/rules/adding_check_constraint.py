"""Adding a check constraint without `NOT VALID`.

`ADD CONSTRAINT … CHECK` scans every row under an ACCESS EXCLUSIVE lock: no reads or
writes until it is done. Add it `NOT VALID` (instant; new rows are checked from then on)
and `VALIDATE CONSTRAINT` in a later migration, which takes only SHARE UPDATE EXCLUSIVE.
A check on a table created earlier in the same migration is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of

ID = "adding-check-constraint"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AddConstraint", "AlterTableStmt:AT_AddColumn")


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, constraint, _ in ctx.added_constraints(statement, "CONSTR_CHECK"):
        if constraint.get("skip_validation"):
            continue
        name = constraint.get("conname", "<name>")
        yield Hit(
            f"the check constraint scans all of {table} under ACCESS EXCLUSIVE",
            f"""ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (...) NOT VALID;
-- in the next migration:
ALTER TABLE {table} VALIDATE CONSTRAINT {name};""",
            at=location_of(constraint),
            table=ctx.table(statement.body["relation"]),
        )
