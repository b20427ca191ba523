"""Adding a `json` column (or another type without an equality operator) to an existing table.

`json` has no equality operator, and neither have `xml` and the geometric types (`point`,
`box`, `polygon`, …). Once a table has such a column, running code that compares whole
rows of it fails: `SELECT DISTINCT * FROM t`, `SELECT * FROM t UNION SELECT …`, `EXCEPT`,
`INTERSECT` raise "could not identify an equality operator for type json" (ORMs write
`SELECT DISTINCT t.*` for a `.distinct()`). Changing an existing column to such a type does
the same. Use `jsonb` instead of `json` (it has equality, indexes and is what most code
wants); for the others, keep the value in a table of its own, joined by key. A table
created in this run is fine: no running code reads it yet. (strong_migrations' "adding a
json column".)
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..column_types import ColumnType, Domain, column_type
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of, type_name

ID = "adding-column-without-equality"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterTableStmt:AT_AddColumn", "AlterTableStmt:AT_AlterColumnType")

# Built-in types with no default btree or hash operator class: DISTINCT, UNION, EXCEPT and
# INTERSECT cannot compare them (PostgreSQL 15, checked in tests/db).
WITHOUT_EQUALITY = frozenset(
    {"json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle"}
)
_INSTEAD = {"json": "jsonb", "xml": "text"}


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for table, cmd in ctx.altered(statement, "AT_AddColumn", "AT_AlterColumnType"):
        column = cmd["def"]["ColumnDef"]
        if type_name(column["typeName"]) not in WITHOUT_EQUALITY and not ctx.schema.domains:
            continue  # the common case, decided without reading the type in full
        written = column_type(column["typeName"], ctx.schema.type_name)
        base = _base(written, ctx.schema.domains)
        if base not in WITHOUT_EQUALITY:
            continue
        name = column.get("colname") or cmd["name"]
        what = written.sql if written.name == base else f"{written.sql} (a domain over {base})"
        yield Hit(
            f"{what} has no equality operator: running code that compares whole rows of "
            f"{table} (DISTINCT, UNION, EXCEPT, INTERSECT) fails once {table}.{name} is "
            f"{written.sql}",
            _recipe(table, name, base, cmd["subtype"]),
            at=location_of(column),
        )


def _base(written: ColumnType, domains: dict[str, Domain]) -> str:
    """The type whose operators a column of this type uses: a domain's base, an array's
    element (an array compares element by element)."""
    current = written
    while current.name in domains:
        current = domains[current.name].base
    return current.name


def _recipe(table: str, column: str, base: str, subtype: str) -> str:
    instead = _INSTEAD.get(base)
    if instead is None:
        return f"-- keep {column} in a table of its own, keyed by {table}'s primary key"
    if subtype == "AT_AddColumn":
        return f"ALTER TABLE {table} ADD COLUMN {column} {instead};"
    return f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {instead};"
