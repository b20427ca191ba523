"""Disabling a trigger.

`ALTER TABLE … DISABLE TRIGGER` lets every write that commits while it is off skip the
trigger: rows whose audit entry, counter or synced column will never be written, and with
`ALL` (or a foreign key's internal trigger) rows that break referential integrity. Within a
transactional migration that enables it again before it ends, the SHARE ROW EXCLUSIVE lock
keeps other writers out meanwhile: that is fine. Otherwise do the work with the trigger on,
in batches.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import alter_commands, location_of

ID = "disabling-trigger"
SEVERITY = Severity.ERROR
NODE_TYPES = (
    "AlterTableStmt:AT_DisableTrig",
    "AlterTableStmt:AT_DisableTrigAll",
    "AlterTableStmt:AT_DisableTrigUser",
)
_ENABLE = {
    "AT_DisableTrig": "AT_EnableTrig",
    "AT_DisableTrigAll": "AT_EnableTrigAll",
    "AT_DisableTrigUser": "AT_EnableTrigUser",
}


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, cmd in ctx.altered(statement, *_ENABLE):
        which = cmd.get("name") or cmd["subtype"].removeprefix("AT_DisableTrig").upper()
        if ctx.transactional and _enabled_later(ctx, statement, cmd):
            continue
        yield Hit(
            f"writes to {table} that commit while trigger {which} is disabled skip it",
            f"-- keep the trigger on and do the work in batches; or, in one transactional "
            f"migration:\nALTER TABLE {table} DISABLE TRIGGER {which};\n-- … the work …\n"
            f"ALTER TABLE {table} ENABLE TRIGGER {which};",
            at=location_of(statement.body["relation"]),
        )


def _enabled_later(ctx: Context, statement: Statement, disabled: dict) -> bool:
    enable = _ENABLE[disabled["subtype"]]
    relation = statement.body["relation"]["relname"]
    return any(
        cmd["subtype"] == enable and cmd.get("name") == disabled.get("name")
        for later in ctx.later_statements(statement)
        if later.node_type == "AlterTableStmt"
        and later.body.get("relation", {}).get("relname") == relation
        for cmd in alter_commands(later.body)
    )
