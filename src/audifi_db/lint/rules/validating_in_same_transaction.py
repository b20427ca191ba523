"""Validating a constraint in the transaction that added it `NOT VALID`.

`ADD CONSTRAINT … NOT VALID` takes ACCESS EXCLUSIVE (check) or SHARE ROW EXCLUSIVE
(foreign key), and a transaction keeps its locks until it commits: a `VALIDATE CONSTRAINT`
in the same transactional migration scans the table while that lock is still held, which
is what `NOT VALID` was meant to avoid. Validate in the next migration, or mark this one
`-- audifi-db: no-transaction` so each statement commits on its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of

ID = "validating-in-same-transaction"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_ValidateConstraint",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    if not ctx.transactional:
        return
    model_table = ctx.table(statement.body["relation"])
    for table, cmd in ctx.altered(statement, "AT_ValidateConstraint"):
        constraint = model_table.constraints.get(cmd["name"]) if model_table else None
        if constraint and not constraint.validated and constraint.added_in == ctx.path:
            yield Hit(
                f"{cmd['name']} was added earlier in this transaction, whose lock on {table} "
                "is still held while VALIDATE scans the table",
                f"""-- audifi-db: no-transaction
-- (in this migration's leading comment lines), or move this statement to the next migration:
ALTER TABLE {table} VALIDATE CONSTRAINT {cmd["name"]};""",
                at=location_of(statement.body["relation"]),
            )
