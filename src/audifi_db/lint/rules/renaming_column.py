"""Renaming a column.

Old code keeps using the old name and fails as soon as the rename commits. Add the new
column, write to both, backfill, move the readers, and drop the old column in a later
release.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of, relation_name

ID = "renaming-column"
SEVERITY = Severity.ERROR
NODE_TYPES = ("RenameStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if body["renameType"] != "OBJECT_COLUMN" or ctx.is_new(body["relation"]):
        return
    table, old, new = relation_name(body["relation"]), body["subname"], body["newname"]
    yield Hit(
        f"renaming {table}.{old} to {new} breaks code that still uses {old}",
        f"""-- migration 1: the new column, kept in sync by a trigger
ALTER TABLE {table} ADD COLUMN {new} <type>;
CREATE FUNCTION {table.split(".")[-1]}_sync_{new}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.{new} := NEW.{old}; RETURN NEW; END $$;
CREATE TRIGGER {table.split(".")[-1]}_sync_{new} BEFORE INSERT OR UPDATE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {table.split(".")[-1]}_sync_{new}();
-- migration 2: backfill {new} from {old} in batches; deploy code that reads {new}
-- release N+1: drop the trigger, its function and {old}""",
        at=location_of(body["relation"]),
    )
