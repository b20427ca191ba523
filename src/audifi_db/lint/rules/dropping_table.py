"""Dropping a table.

Code that still reads or writes the table fails once it is gone. Stop using the table,
deploy, and drop it in the next release; acknowledge the drop then with
`-- audifi-db: allow dropping-table <which release stopped using it>`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import object_names

ID = "dropping-table"
SEVERITY = Severity.ERROR
NODE_TYPES = ("DropStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    if statement.body["removeType"] != "OBJECT_TABLE":
        return
    for name in object_names(statement.body):
        if not ctx.is_new_table(name):
            yield Hit(
                f"dropping table {name} breaks code that still uses it",
                recipes.two_releases(name, f"DROP TABLE IF EXISTS {name}"),
            )
