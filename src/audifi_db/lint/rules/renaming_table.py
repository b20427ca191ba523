"""Renaming a table.

Old code keeps using the old name and fails as soon as the rename commits. Rename it and
leave a view with the old name in the same transaction (a simple view is updatable, so old
code keeps reading and writing); drop the view once no code uses the old name.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of, relation_name

ID = "renaming-table"
SEVERITY = Severity.ERROR
NODE_TYPES = ("RenameStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if body["renameType"] != "OBJECT_TABLE" or ctx.is_new(body["relation"]):
        return
    old, new = relation_name(body["relation"]), body["newname"]
    yield Hit(
        f"renaming {old} to {new} breaks code that still uses {old}",
        f"""ALTER TABLE {old} RENAME TO {new};
CREATE VIEW {old} AS SELECT * FROM {new};
-- release N+1, once no code uses {old}:
DROP VIEW {old};""",
        at=location_of(body["relation"]),
    )
