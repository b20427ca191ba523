"""Attaching a partition that no validated check constraint proves.

`ATTACH PARTITION` scans the whole new partition to prove every row fits its bound, under
an ACCESS EXCLUSIVE lock on that table (and a SHARE UPDATE EXCLUSIVE one on the parent);
with a default partition, that one is scanned too. A validated `CHECK` constraint on the
partition that implies the bound spares the scan: add it `NOT VALID`, `VALIDATE` it (SHARE
UPDATE EXCLUSIVE only), attach, then drop the check. The linter counts a validated check
that reads every partition-key column as that proof. A partition created in this run is
fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of, relation_name

ID = "attaching-partition"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AttachPartition",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    parent = ctx.table(statement.body["relation"])
    for table, cmd in ctx.altered(statement, "AT_AttachPartition"):
        child_range = cmd["def"]["PartitionCmd"]["name"]
        if ctx.is_new(child_range):
            continue
        child = ctx.table(child_range)
        key = parent.partition_key if parent else ()
        if (
            child
            and key
            and any(
                c.kind == "check" and c.validated and set(key) <= set(c.columns)
                for c in child.constraints.values()
            )
        ):
            continue
        name = relation_name(child_range)
        bound = ", ".join(key) or "<partition key>"
        yield Hit(
            f"attaching {name} to {table} scans all of {name} under ACCESS EXCLUSIVE to prove "
            "its bound",
            f"""ALTER TABLE {name} ADD CONSTRAINT {name.rpartition(".")[2]}_bound
  CHECK (<{bound} within the bound>) NOT VALID;
ALTER TABLE {name} VALIDATE CONSTRAINT {name.rpartition(".")[2]}_bound;
-- then ATTACH PARTITION (no scan), and drop the check""",
            at=location_of(child_range),
            table=child,
        )
