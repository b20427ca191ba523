"""Dropping a column.

Old code still selects or inserts the column and fails the moment it is gone, and the
statement takes an ACCESS EXCLUSIVE lock. Stop using the column, deploy, and drop it in the
next release; acknowledge the drop then with
`-- audifi-db: allow dropping-column <which release stopped using it>`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from .. import recipes
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of

ID = "dropping-column"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_DropColumn",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, cmd in ctx.altered(statement, "AT_DropColumn"):
        yield Hit(
            f"dropping column {table}.{cmd['name']} breaks code that still uses it",
            recipes.two_releases(
                f"{table}.{cmd['name']}", f"ALTER TABLE {table} DROP COLUMN {cmd['name']}"
            ),
            at=location_of(statement.body["relation"]),
        )
