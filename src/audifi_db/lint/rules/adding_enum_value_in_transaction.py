"""`ALTER TYPE … ADD VALUE` inside a transactional migration.

Before PostgreSQL 12, `ADD VALUE` cannot run inside a transaction block at all. From 12 it
can, but the new value cannot be used until the transaction commits: a later statement of
the same migration that uses it fails with "unsafe use of new value". Put the `ADD VALUE`
in its own migration (or mark the migration `-- audifi-db: no-transaction`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import dotted, string_constants

ID = "adding-enum-value-in-transaction"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterEnumStmt",)
ADD_VALUE_IN_TRANSACTION_VERSION = 120000


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if not ctx.transactional or "oldVal" in body:
        return
    enum, value = dotted(body["typeName"]), body["newVal"]
    recipe = f"-- in a migration of its own:\nALTER TYPE {enum} ADD VALUE IF NOT EXISTS '{value}';"
    if ctx.server_version < ADD_VALUE_IN_TRANSACTION_VERSION:
        yield Hit("before PostgreSQL 12, ADD VALUE cannot run in a transaction", recipe)
    elif any(value in string_constants(later.node) for later in ctx.later_statements(statement)):
        yield Hit(
            f"'{value}' is used later in this migration, before the ADD VALUE commits: "
            "PostgreSQL rejects that as an unsafe use of a new enum value",
            recipe,
        )
