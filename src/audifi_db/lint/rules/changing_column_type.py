"""Changing a column's type in a way that rewrites the table, or scans it under the lock.

`ALTER COLUMN … TYPE` takes an ACCESS EXCLUSIVE lock: no reads, no writes until it is done
(int -> bigint on AudiFi's 5 M-row tracks: 7 s of downtime). The linter reads the old type
from the schema model (earlier migrations, or the live database) and applies PostgreSQL's
own rules: a change is catalog-only when the old values can be kept as they are — a
binary-coercible cast (`varchar` -> `text`, `text` -> `varchar`), a limit that grows or
goes (`varchar(20)` -> `varchar(50)` or `varchar`, `numeric(10,2)` -> `numeric(12,2)`,
`timestamp(3)` -> `timestamp`), a domain without constraints over the same type, and
`timestamp` <-> `timestamptz` on PostgreSQL >= 12 when the session's time zone is UTC
(read from the database, `[lint] timezone`, and `SET TIME ZONE` in the migration). Every
other change rewrites the table and its indexes: `integer` -> `bigint`, `integer`/`uuid`
-> `text`, anything -> `numeric` with a smaller or unlimited scale, a `USING` expression
other than the column itself. A catalog-only change still scans the table under the lock
when an index on the column changes operator class (rebuilt) or a CHECK constraint reads
the column (re-validated): reported as a warning. When the model does not know the column,
a change to `text`, `varchar` or `numeric` without `USING` is assumed catalog-only.

For a rewrite: add a new column, keep it in sync with a trigger, backfill in batches, then
swap.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..column_types import Change
from ..context import Context
from ..facts import describe_type_change
from ..model import Hit, Severity
from ..nodes import location_of
from ..type_changes import analyse

ID = "changing-column-type"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AlterColumnType",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    model_table = ctx.table(statement.body["relation"])
    for table, cmd in ctx.altered(statement, "AT_AlterColumnType"):
        change = analyse(ctx.schema, model_table, cmd, ctx.server_version)
        if change.change is Change.NONE:
            continue
        column = cmd["def"]["ColumnDef"]
        fact = describe_type_change(model_table, cmd["name"], change)
        if change.change is Change.SCAN:
            yield Hit(
                f"{fact} under ACCESS EXCLUSIVE",
                "-- drop the index (DROP INDEX CONCURRENTLY) or the check first, change the "
                "type, then rebuild them concurrently / NOT VALID + VALIDATE",
                at=location_of(column),
                severity=Severity.WARNING,
                table=model_table,
            )
            continue
        yield Hit(
            fact,
            _recipe(table, cmd["name"], change.new.sql),
            at=location_of(column),
            table=model_table,
        )


def _recipe(table: str, old: str, new_type: str) -> str:
    new = f"{old}_new"
    return f"""-- migration 1
ALTER TABLE {table} ADD COLUMN {new} {new_type};
-- + a BEFORE INSERT OR UPDATE trigger that sets NEW.{new} := NEW.{old}
-- migration 2 (-- audifi-db: no-transaction): backfill {new} in batches of 10,000 rows
-- migration 3: swap in one short transaction
ALTER TABLE {table} DROP COLUMN {old};
ALTER TABLE {table} RENAME COLUMN {new} TO {old};
-- (then drop the sync trigger)"""
