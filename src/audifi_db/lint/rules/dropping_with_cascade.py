"""`DROP … CASCADE`.

CASCADE silently drops whatever depends on the object: views, foreign keys, defaults,
sometimes whole tables' worth of meaning. The seed's DON'T list bans it in production. Drop
the dependent objects explicitly, each by name, then drop the object without CASCADE.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import alter_commands, object_names

ID = "dropping-with-cascade"
SEVERITY = Severity.ERROR
NODE_TYPES = ("DropStmt", "AlterTableStmt")


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if statement.node_type == "DropStmt":
        if body.get("behavior") != "DROP_CASCADE":
            return
        dropped = object_names(body)
        if body.get("removeType") == "OBJECT_TABLE" and all(map(ctx.is_new_table, dropped)):
            return  # only tables this run created: nothing else can depend on them yet
        names = ", ".join(dropped)
    else:
        commands = list(alter_commands(body))
        if not any(c.get("behavior") == "DROP_CASCADE" for c in commands):
            return
        names = ", ".join(c.get("name", "") for c in commands)
    yield Hit(
        f"CASCADE also drops every object that depends on {names}",
        "-- list what depends on it:\n"
        "SELECT * FROM pg_depend WHERE refobjid = '<object>'::regclass;\n"
        "-- drop those explicitly, by name, then drop the object without CASCADE",
    )
