"""`REFRESH MATERIALIZED VIEW` without `CONCURRENTLY`.

A plain refresh recomputes the view under an ACCESS EXCLUSIVE lock: every query that reads
it waits until the whole query behind it has run again. `REFRESH MATERIALIZED VIEW
CONCURRENTLY` (it needs a unique index on the view) takes only an EXCLUSIVE lock, which
lets reads go on. A materialized view created in this run is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of, relation_name

ID = "refreshing-materialized-view"
SEVERITY = Severity.ERROR
NODE_TYPES = ("RefreshMatViewStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if body.get("concurrent") or ctx.is_new(body["relation"]):
        return
    name = relation_name(body["relation"])
    yield Hit(
        f"REFRESH MATERIALIZED VIEW {name} blocks every read of it until the refresh is done",
        f"""-- once: a unique index on the view (CREATE UNIQUE INDEX CONCURRENTLY … ON {name} …)
REFRESH MATERIALIZED VIEW CONCURRENTLY {name};""",
        at=location_of(body["relation"]),
        table=ctx.table(body["relation"]),
    )
