"""A statement that fails when a no-transaction migration is run again.

A migration marked `-- audifi-db: no-transaction` commits statement by statement: if it
stops half-way, the retry re-runs the statements that already succeeded. `CREATE INDEX
CONCURRENTLY` without `IF NOT EXISTS` then fails with "already exists" (and a failed
concurrent build leaves an INVALID index behind). Write such migrations so they can be
re-run: `CREATE … IF NOT EXISTS`, `DROP … IF EXISTS`, `ADD COLUMN IF NOT EXISTS`,
`ALTER TYPE … ADD VALUE IF NOT EXISTS`, and a named `ADD CONSTRAINT` preceded by
`DROP CONSTRAINT IF EXISTS` of the same name (PostgreSQL has no `ADD CONSTRAINT IF NOT EXISTS`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import alter_commands, relation_name

ID = "not-rerunnable"
SEVERITY = Severity.ERROR
NODE_TYPES = ("IndexStmt", "CreateStmt", "DropStmt", "AlterTableStmt", "AlterEnumStmt")

_RERUNNABLE_FORM = {
    "IndexStmt": ("if_not_exists", "CREATE INDEX CONCURRENTLY IF NOT EXISTS …"),
    "CreateStmt": ("if_not_exists", "CREATE TABLE IF NOT EXISTS …"),
    "DropStmt": ("missing_ok", "DROP … IF EXISTS …"),
}
_COLUMN_FORMS = {
    "AT_AddColumn": "ADD COLUMN IF NOT EXISTS …",
    "AT_DropColumn": "DROP COLUMN IF EXISTS …",
}


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    if ctx.transactional and not (
        statement.node_type == "IndexStmt" and statement.body.get("concurrent")
    ):
        return
    for fix in _missing_guards(ctx, statement):
        yield Hit(
            "this statement fails if the migration is run again after a partial run",
            f"""-- re-runnable form:
{fix}
-- a failed CREATE INDEX CONCURRENTLY leaves an INVALID index: drop it before retrying
DROP INDEX CONCURRENTLY IF EXISTS <index>;""",
        )


def _missing_guards(ctx: Context, statement: Statement) -> list[str]:
    body = statement.body
    if statement.node_type in _RERUNNABLE_FORM:
        flag, form = _RERUNNABLE_FORM[statement.node_type]
        return [] if body.get(flag) else [form]
    if statement.node_type == "AlterEnumStmt":
        adds = body.get("newVal") and not body.get("oldVal")
        return (
            ["ALTER TYPE … ADD VALUE IF NOT EXISTS …"]
            if adds and not body.get("skipIfNewValExists")
            else []
        )
    if "relation" not in body:
        return []
    table = relation_name(body["relation"])
    fixes = [
        f"ALTER TABLE {table} {_COLUMN_FORMS[c['subtype']]}"
        for c in alter_commands(body)
        if c["subtype"] in _COLUMN_FORMS and not c.get("missing_ok")
    ]
    for cmd in alter_commands(body):
        if cmd["subtype"] == "AT_AddConstraint":
            name = cmd["def"]["Constraint"].get("conname")
            if name is None or not _dropped_before(ctx, statement, name):
                fixes.append(
                    f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name or '<name it>'};\n"
                    f"ALTER TABLE {table} ADD CONSTRAINT {name or '<name it>'} …"
                )
    return fixes


def _dropped_before(ctx: Context, statement: Statement, name: str) -> bool:
    """Whether an earlier statement of the file runs `DROP CONSTRAINT IF EXISTS name`."""
    return any(
        cmd["subtype"] == "AT_DropConstraint" and cmd.get("missing_ok") and cmd["name"] == name
        for earlier in ctx.statements[: statement.index]
        if earlier.node_type == "AlterTableStmt"
        for cmd in alter_commands(earlier.body)
    )
