"""Renaming a schema.

Every qualified name that mentions the old schema (in code, views' callers, `search_path`
settings of roles and databases) stops resolving the moment the rename commits. Create the
new schema, move the objects or give them views, move the code, then drop the old schema in
a later release. A schema created in this run is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity

ID = "renaming-schema"
SEVERITY = Severity.ERROR
NODE_TYPES = ("RenameStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if body["renameType"] != "OBJECT_SCHEMA" or ctx.schema.is_new_object(body["subname"]):
        return
    old, new = body["subname"], body["newname"]
    yield Hit(
        f"renaming schema {old} to {new} breaks every name that still says {old}",
        f"""CREATE SCHEMA IF NOT EXISTS {new};
-- move each object (ALTER TABLE … SET SCHEMA {new}) leaving a view in {old},
-- deploy code that uses {new}; in the next release:
DROP SCHEMA {old};""",
    )
