"""Dropping a schema.

`DROP SCHEMA` removes every table, view, function and type in it (with `CASCADE`) or fails
as soon as one exists; either way, code that still uses the schema breaks, and each table
dropped takes an ACCESS EXCLUSIVE lock. Stop using the schema, deploy, and drop its objects
one by one in the next release. A schema created in this run is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import object_names

ID = "dropping-schema"
SEVERITY = Severity.ERROR
NODE_TYPES = ("DropStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    if statement.body["removeType"] != "OBJECT_SCHEMA":
        return
    for name in object_names(statement.body):
        if ctx.schema.is_new_object(name):
            continue
        yield Hit(
            f"dropping schema {name} breaks code that still uses anything in it",
            recipes.two_releases(f"schema {name}", f"DROP SCHEMA IF EXISTS {name}"),
        )
