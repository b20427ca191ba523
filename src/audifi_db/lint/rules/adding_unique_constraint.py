"""Adding a unique constraint that builds its own index.

`ADD CONSTRAINT … UNIQUE (…)` builds the index under an ACCESS EXCLUSIVE lock: no reads or
writes until it is built. Build the index with `CREATE UNIQUE INDEX CONCURRENTLY` first,
then attach it: `ADD CONSTRAINT … UNIQUE USING INDEX …` only updates the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of

ID = "adding-unique-constraint"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AddConstraint", "AlterTableStmt:AT_AddColumn")


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, constraint, columns in ctx.added_constraints(statement, "CONSTR_UNIQUE"):
        if constraint.get("indexname"):
            continue
        name = constraint.get("conname") or f"{table.rpartition('.')[2]}_{columns}_key"
        yield Hit(
            f"the unique constraint builds its index under ACCESS EXCLUSIVE on {table}",
            f"""-- migration 1 (-- audifi-db: no-transaction)
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({columns});
-- migration 2
ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name};""",
            at=location_of(constraint),
            table=ctx.table(statement.body["relation"]),
        )
