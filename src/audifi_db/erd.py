"""Pure rendering of a database schema as a Mermaid entity-relationship diagram."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Long PostgreSQL type names shortened for the diagram.
_SHORT_TYPES = {
    "character varying": "varchar",
    "character": "char",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "time with time zone": "timetz",
    "time without time zone": "time",
    "double precision": "float8",
    "bit varying": "varbit",
}


@dataclass(frozen=True)
class Column:
    """One column of a table as the diagram shows it."""

    name: str
    data_type: str
    is_primary_key: bool = False
    is_foreign_key: bool = False
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    """A table (for a partitioned table: the parent only) and its columns in order."""

    name: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class ForeignKey:
    """table(columns) references ref_table(ref_columns)."""

    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


def mermaid_type(data_type: str) -> str:
    """A Mermaid-safe type token: short names, and ',' or ' ' become '_' ('numeric(18,8)' -> 'numeric(18_8)')."""
    for long_name, short_name in _SHORT_TYPES.items():
        if data_type.startswith(long_name):
            data_type = short_name + data_type[len(long_name) :]
            break
    # Mermaid types allow letters, digits, '-', '_', parentheses and brackets.
    return re.sub(r"[^A-Za-z0-9_()\[\]-]+", "_", data_type)


def _attribute(column: Column) -> str:
    keys = ", ".join(
        key for key, flag in (("PK", column.is_primary_key), ("FK", column.is_foreign_key)) if flag
    )
    line = f"{mermaid_type(column.data_type)} {column.name}"
    if keys:
        line += f" {keys}"
    if column.nullable and not column.is_primary_key:
        line += ' "nullable"'
    return line


def _cardinality(foreign_key: ForeignKey, tables: dict[str, Table]) -> str:
    """Crow's-foot ends: parent side exactly one (or zero-or-one if nullable), child many (or one if the FK is the PK)."""
    child = tables.get(foreign_key.table)
    columns = {c.name: c for c in child.columns} if child else {}
    optional = any(columns[name].nullable for name in foreign_key.columns if name in columns)
    primary = {c.name for c in columns.values() if c.is_primary_key}
    one_to_one = bool(primary) and primary == set(foreign_key.columns)
    return ("|o" if optional else "||") + "--" + ("o|" if one_to_one else "o{")


def render_mermaid(
    tables: Iterable[Table], foreign_keys: Iterable[ForeignKey], *, keys_only: bool = False
) -> str:
    """Render tables and foreign keys as a Mermaid ``erDiagram``, sorted by name.

    With keys_only, each table lists only its primary and foreign key columns.
    """
    by_name = {table.name: table for table in tables}
    lines = ["erDiagram"]
    for name in sorted(by_name):
        columns = [
            c
            for c in by_name[name].columns
            if not keys_only or c.is_primary_key or c.is_foreign_key
        ]
        lines.append(f"    {name} {{")
        lines.extend(f"        {_attribute(column)}" for column in columns)
        lines.append("    }")
    ordered = sorted(foreign_keys, key=lambda fk: (fk.ref_table, fk.table, fk.columns))
    for fk in ordered:
        lines.append(
            f'    {fk.ref_table} {_cardinality(fk, by_name)} {fk.table} : "{", ".join(fk.columns)}"'
        )
    return "\n".join(lines) + "\n"
