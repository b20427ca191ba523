"""Adding a foreign key without `NOT VALID`.

Adding a foreign key checks every existing row while it holds SHARE ROW EXCLUSIVE locks
on both tables: writes to both wait for the whole scan. Add it `NOT VALID` (instant; new
rows are checked from then on) and `VALIDATE CONSTRAINT` in a later migration, which takes
only SHARE UPDATE EXCLUSIVE. `ADD COLUMN … REFERENCES …` without a default is fine: the
new column holds only NULLs, and PostgreSQL skips the check (measured: instant on 2 M rows,
where the same key added to an existing all-NULL column scanned them). A foreign key on a
table created in this run is fine. One from an existing table to a table created in this
run is not: the new table's lock blocks no one, but the existing table is still scanned
while its writes wait.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..locks import unchecked_new_columns
from ..model import Hit, Severity
from ..nodes import dotted, location_of, relation_name

ID = "adding-foreign-key-constraint"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AddConstraint", "AlterTableStmt:AT_AddColumn")


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    unchecked = unchecked_new_columns(ctx.altered(statement, "AT_AddColumn"))
    for table, constraint, columns in ctx.added_constraints(statement, "CONSTR_FOREIGN"):
        if constraint.get("skip_validation") or columns in unchecked:
            continue
        referenced = relation_name(constraint["pktable"])
        name = constraint.get("conname") or f"{table.rpartition('.')[2]}_{columns}_fkey"
        keys = dotted(constraint.get("pk_attrs", [])) or "id"
        yield Hit(
            f"the foreign key to {referenced} scans {table} while writes to both tables wait",
            f"""ALTER TABLE {table} ADD CONSTRAINT {name}
  FOREIGN KEY ({columns}) REFERENCES {referenced} ({keys}) NOT VALID;
-- in the next migration:
ALTER TABLE {table} VALIDATE CONSTRAINT {name};""",
            at=location_of(constraint),
            table=ctx.table(statement.body["relation"]),
        )
