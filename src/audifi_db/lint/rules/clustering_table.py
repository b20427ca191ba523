"""`CLUSTER`.

`CLUSTER` rewrites the table in index order under an ACCESS EXCLUSIVE lock: no reads or
writes until it is done. Reorder online with pg_repack, outside migrations, if at all.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import relation_name

ID = "clustering-table"
SEVERITY = Severity.ERROR
NODE_TYPES = ("ClusterStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    relation = statement.body.get("relation")
    if relation is not None and ctx.is_new(relation):
        return
    name = relation_name(relation) if relation else "every clustered table"
    yield Hit(
        f"CLUSTER rewrites {name} under ACCESS EXCLUSIVE",
        "-- remove CLUSTER from the migration; use pg_repack --order-by outside migrations",
    )
