"""`DETACH PARTITION` without `CONCURRENTLY`.

A plain detach takes an ACCESS EXCLUSIVE lock on the parent: every query on the whole
partitioned table waits, behind any long query already running on it. From PostgreSQL 14,
`DETACH PARTITION … CONCURRENTLY` takes only SHARE UPDATE EXCLUSIVE; it cannot run in a
transaction, so it goes in a `-- audifi-db: no-transaction` migration. Before 14 there is
no online form (a warning: do it when traffic is low). A parent created in this run is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of, relation_name

ID = "detaching-partition-non-concurrently"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_DetachPartition",)
CONCURRENT_DETACH_VERSION = 140000


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, cmd in ctx.altered(statement, "AT_DetachPartition"):
        partition = cmd["def"]["PartitionCmd"]
        if partition.get("concurrent"):
            continue
        name = relation_name(partition["name"])
        online = ctx.server_version >= CONCURRENT_DETACH_VERSION
        yield Hit(
            f"DETACH PARTITION {name} blocks every query on {table} until it is done",
            recipes.concurrently(f"ALTER TABLE {table} DETACH PARTITION {name} CONCURRENTLY")
            if online
            else "-- no online form before PostgreSQL 14: detach when traffic is low",
            at=location_of(partition["name"]),
            severity=None if online else Severity.WARNING,
            table=ctx.table(statement.body["relation"]),
        )
