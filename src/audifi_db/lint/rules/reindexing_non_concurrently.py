"""`REINDEX` without `CONCURRENTLY`.

`REINDEX` blocks writes to the table (SHARE lock) and reads that use the index (ACCESS
EXCLUSIVE on it) while it rebuilds. Use `REINDEX … CONCURRENTLY` (PostgreSQL >= 12) in a
`-- audifi-db: no-transaction` migration. Rebuilding a table created in this run, or an
index of one, is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import relation_name

ID = "reindexing-non-concurrently"
SEVERITY = Severity.ERROR
NODE_TYPES = ("ReindexStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if any(p["DefElem"]["defname"] == "concurrently" for p in body.get("params", [])):
        return
    relation = body.get("relation")
    kind = body["kind"].removeprefix("REINDEX_OBJECT_")
    name = relation_name(relation) if relation else body.get("name", "")
    if relation is not None and (
        ctx.is_new_index(name) if kind == "INDEX" else ctx.is_new(relation)
    ):
        return
    yield Hit(
        f"REINDEX {kind} {name} blocks writes while it rebuilds",
        recipes.concurrently(f"REINDEX {kind} CONCURRENTLY {name}"),
    )
