"""Creating an index without `CONCURRENTLY`.

`CREATE INDEX` holds a SHARE lock on the table while it builds: every INSERT, UPDATE and
DELETE waits (measured on AudiFi's tracks table: 2.8 s of blocked writes for 5 M rows).
Build it with `CREATE INDEX CONCURRENTLY IF NOT EXISTS` in a migration marked
`-- audifi-db: no-transaction`. An index on a table created earlier in the same migration
is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of, relation_name

ID = "creating-index-non-concurrently"
SEVERITY = Severity.ERROR
NODE_TYPES = ("IndexStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if body.get("concurrent") or ctx.is_new(body["relation"]):
        return
    table = relation_name(body["relation"])
    unique = "UNIQUE " if body.get("unique") else ""
    name = body.get("idxname", "<name>")
    yield Hit(
        f"CREATE INDEX blocks writes to {table} until the index is built",
        recipes.concurrently(
            f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} (...)"
        ),
        at=location_of(body["relation"]),
        table=ctx.table(body["relation"]),
    )
