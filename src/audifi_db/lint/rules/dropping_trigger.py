"""Dropping a trigger from a table that running code writes to.

Old code may rely on what the trigger maintains (an `updated_at`, a counter, an audit row,
a column kept in sync during a rename): once it is dropped, those writes silently stop.
Stop relying on the trigger first, then drop it in the next release. Dropping a trigger
that the same migration creates again (`DROP TRIGGER IF EXISTS …; CREATE TRIGGER …`, or
`CREATE OR REPLACE TRIGGER`), or a trigger on a table created in this run, is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity

ID = "dropping-trigger"
SEVERITY = Severity.WARNING
NODE_TYPES = ("DropStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if body["removeType"] != "OBJECT_TRIGGER":
        return
    for obj in body.get("objects", []):
        *table_parts, trigger = [n["String"]["sval"] for n in obj["List"]["items"]]
        table = ".".join(table_parts)
        if ctx.is_new_table(table) or _created_again(ctx, statement, trigger):
            continue
        yield Hit(
            f"dropping trigger {trigger} stops what it maintains on {table} for running code",
            recipes.two_releases(
                f"what trigger {trigger} maintains", f"DROP TRIGGER IF EXISTS {trigger} ON {table}"
            ),
        )


def _created_again(ctx: Context, statement: Statement, trigger: str) -> bool:
    return any(
        later.node_type == "CreateTrigStmt" and later.body["trigname"] == trigger
        for later in ctx.later_statements(statement)
    )
