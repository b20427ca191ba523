"""Adding a primary key to an existing table.

`ADD PRIMARY KEY (…)` builds a unique index and sets its columns NOT NULL (a full scan),
both under an ACCESS EXCLUSIVE lock. Build the index concurrently, prove the columns not
null with a validated check, then attach the index: `ADD CONSTRAINT … PRIMARY KEY USING
INDEX …` only updates the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of

ID = "adding-primary-key"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AddConstraint", "AlterTableStmt:AT_AddColumn")


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, constraint, columns in ctx.added_constraints(statement, "CONSTR_PRIMARY"):
        if constraint.get("indexname"):
            continue
        name = f"{table.rpartition('.')[2]}_pkey"
        yield Hit(
            f"the primary key builds an index and scans {table} under ACCESS EXCLUSIVE",
            f"""-- migration 1 (-- audifi-db: no-transaction)
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({columns});
-- migration 2: make the columns NOT NULL (see the setting-not-null rule), then
ALTER TABLE {table} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {name};""",
            at=location_of(constraint),
            table=ctx.table(statement.body["relation"]),
        )
