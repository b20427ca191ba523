"""`VACUUM FULL`.

`VACUUM FULL` rewrites the table under an ACCESS EXCLUSIVE lock: no reads or writes
until it is done. Plain `VACUUM` (in a `-- audifi-db: no-transaction` migration) reclaims
space for reuse without blocking; to shrink a bloated table online use pg_repack,
outside migrations.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import relation_name

ID = "vacuum-full"
SEVERITY = Severity.ERROR
NODE_TYPES = ("VacuumStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if not any(o["DefElem"]["defname"] == "full" for o in body.get("options", [])):
        return
    tables = [r["VacuumRelation"]["relation"] for r in body.get("rels", [])]
    if tables and all(ctx.is_new(t) for t in tables):
        return
    names = ", ".join(relation_name(t) for t in tables) or "every table"
    yield Hit(
        f"VACUUM FULL rewrites {names} under ACCESS EXCLUSIVE",
        "-- audifi-db: no-transaction\nVACUUM (ANALYZE) <table>;  -- or pg_repack, outside migrations",
    )
