"""Renaming an enum value.

`ALTER TYPE … RENAME VALUE` changes the label in place: running code that writes or
compares the old label fails (`invalid input value for enum`) the moment it commits. Add
the new value, move the code and the rows to it, and stop using the old one; PostgreSQL
cannot drop an enum value, so leave it unused.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import dotted

ID = "renaming-enum-value"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterEnumStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if not body.get("oldVal"):
        return
    enum, old, new = dotted(body["typeName"]), body["oldVal"], body["newVal"]
    if ctx.schema.is_new_object(ctx.schema.type_name(enum)):
        return
    yield Hit(
        f"renaming {enum} value '{old}' to '{new}' breaks code that still writes '{old}'",
        f"""ALTER TYPE {enum} ADD VALUE IF NOT EXISTS '{new}';  -- in a migration of its own
-- deploy code that writes '{new}', then move the rows in batches:
-- UPDATE … SET … = '{new}' WHERE … = '{old}' (batched); leave '{old}' unused""",
    )
