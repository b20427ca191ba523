"""`SET NOT NULL` on an existing column without a validated check constraint.

`ALTER COLUMN … SET NOT NULL` scans the whole table under an ACCESS EXCLUSIVE lock. From
PostgreSQL 12 the scan is skipped when a validated `CHECK (col IS NOT NULL)` proves it:
add that check `NOT VALID`, `VALIDATE` it (which only takes SHARE UPDATE EXCLUSIVE), then
`SET NOT NULL` and drop the check. The proof may come from any earlier migration (or
the live database): the linter knows which checks exist and whether they are validated. Run those in a `-- audifi-db: no-transaction` migration,
so the validation does not run under the lock of the `ADD CONSTRAINT`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of

ID = "setting-not-null"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_SetNotNull",)
PROOF_BY_CHECK_VERSION = 120000


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    at = location_of(statement.body["relation"])
    model_table = ctx.table(statement.body["relation"])
    for table, cmd in ctx.altered(statement, "AT_SetNotNull"):
        column = cmd["name"]
        proven = model_table is not None and model_table.proven_not_null(column)
        if ctx.server_version >= PROOF_BY_CHECK_VERSION:
            if not proven:
                yield Hit(
                    f"SET NOT NULL scans all of {table} under ACCESS EXCLUSIVE: no validated "
                    f"CHECK ({column} IS NOT NULL) is known on it",
                    recipes.not_null(table, column),
                    at=at,
                    table=model_table,
                )
        else:
            yield Hit(
                f"SET NOT NULL scans all of {table} under ACCESS EXCLUSIVE, and before "
                "PostgreSQL 12 no check constraint can spare the scan",
                f"-- keep a validated CHECK ({column} IS NOT NULL) instead of NOT NULL\n"
                + recipes.not_null(table, column, set_not_null=False),
                at=at,
                table=model_table,
            )
