"""`ALTER COLUMN … TYPE` against the model: the old type, the cost, and why.

Pure code. With the column in the model the verdict is PostgreSQL's own (`types.type_change`),
plus what a change that keeps the rows still costs: each index on the column whose
operator class changes is rebuilt, and each CHECK constraint on it is re-validated, both
by a scan under the ACCESS EXCLUSIVE lock. Without the column (a table the model does not
know), only the target type is seen: a change to `text`, `varchar` or `numeric` without
`USING` is assumed free, as the linter did before it had a model.
"""

from __future__ import annotations

from typing import NamedTuple

from .column_types import Change, ColumnType, column_type, same_index_class, type_change
from .schema import Column, SchemaModel, Table

_ASSUMED_FREE_TARGETS = {"text", "varchar", "numeric"}


class TypeChange(NamedTuple):
    change: Change
    why: str
    new: ColumnType
    old: Column | None = None
    rebuilt_indexes: tuple[str, ...] = ()
    rechecked: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.old is not None


def analyse(
    schema: SchemaModel | None, table: Table | None, cmd: dict, server_version: int
) -> TypeChange:
    """The cost of one `AT_AlterColumnType` subcommand on `table` (None: unknown)."""
    column_def = cmd["def"]["ColumnDef"]
    qualify = schema.type_name if schema is not None else (lambda name: name)
    new = column_type(column_def["typeName"], qualify)
    old = table.column(cmd["name"]) if table is not None else None
    using = column_def.get("raw_default")
    if old is None or schema is None:
        free = using is None and not new.array and new.name in _ASSUMED_FREE_TARGETS
        change = Change.NONE if free else Change.REWRITE
        return TypeChange(change, "the old type is not known", new)
    if using is not None and not _is_the_column(using, cmd["name"], new, qualify):
        return TypeChange(Change.REWRITE, "USING computes every value", new, old)
    change, why = type_change(
        old.type,
        new,
        utc=schema.utc,
        server_version=server_version,
        domains=schema.domains,
    )
    if change is not Change.NONE or table is None:
        return TypeChange(change, why, new, old)
    rebuilt = tuple(
        i.name.rpartition(".")[2]
        for i in schema.indexes_on(table.name, old.name)
        if not same_index_class(old.type, new)
    )
    rechecked = tuple(c.name for c in table.checks_on(old.name))
    if rebuilt or rechecked:
        return TypeChange(Change.SCAN, why, new, old, rebuilt, rechecked)
    return TypeChange(change, why, new, old)


def _is_the_column(expr: dict, column: str, new: ColumnType, qualify) -> bool:
    """`USING col` or `USING col::new_type`: the same as no USING."""
    cast = expr.get("TypeCast")
    if cast is not None:
        if column_type(cast["typeName"], qualify) != new:
            return False
        expr = cast["arg"]
    fields = expr.get("ColumnRef", {}).get("fields", [])
    return len(fields) == 1 and fields[0].get("String", {}).get("sval") == column
