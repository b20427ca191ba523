"""Column types, and what PostgreSQL does to a table when a column changes type.

Pure code. A `ColumnType` is read from pglast's TypeName (a migration's `ALTER … TYPE`, a
`CREATE TABLE`) or from the catalogue's `format_type()` text parsed the same way, so both
sides compare equal.

`type_change` mirrors PostgreSQL's own decision (`ATColumnChangeRequiresRewrite` in
tablecmds.c, fed by `coerce_to_target_type` and the types' length-coercion support
functions): a change is free when the old value can be relabelled (a binary-coercible
cast in `pg_cast`, or a length coercion its support function proves a no-op), and
`timestamp` <-> `timestamptz` is free from PostgreSQL 12 when the session's time zone is
UTC. Anything else, a `USING` expression other than the column itself included, rewrites
the table and its indexes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from .nodes import unwrap

# Binary-coercible casts between built-in types (pg_cast.castmethod = 'b', PostgreSQL 15).
BINARY_CASTS = frozenset(
    {
        ("varchar", "text"),
        ("text", "varchar"),
        ("text", "bpchar"),
        ("varchar", "bpchar"),
        ("bit", "varbit"),
        ("varbit", "bit"),
        ("xml", "text"),
        ("xml", "varchar"),
        ("xml", "bpchar"),
        ("cidr", "inet"),
    }
)
# Types whose length coercion has a support function that proves widening a no-op.
_TEMPORAL = {"timestamp": 6, "timestamptz": 6, "time": 6, "timetz": 6}
_SERIALS = {
    "serial": "int4",
    "serial4": "int4",
    "bigserial": "int8",
    "serial8": "int8",
    "smallserial": "int2",
    "serial2": "int2",
}
# Default btree operator classes: an index on the column survives a type change only when
# the new type indexes with the same class (CheckIndexCompatible).
_OPCLASS = {"varchar": "text", "cidr": "inet"}
_DISPLAY = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "bpchar": "char",
    "varchar": "varchar",
    "timestamptz": "timestamptz",
    "varbit": "bit varying",
}
BUILTIN_TYPES = frozenset(
    {
        *_DISPLAY,
        *_TEMPORAL,
        *_SERIALS,
        "text",
        "numeric",
        "uuid",
        "json",
        "jsonb",
        "date",
        "interval",
        "bit",
        "bytea",
        "inet",
        "cidr",
        "macaddr",
        "money",
        "xml",
        "char",
        "name",
        "oid",
        "tsvector",
        "point",
        "citext",
    }
)
# Session time zones with a fixed offset of zero (pg_get_timezone_offset() gives 0).
UTC_ZONES = frozenset(
    {
        "utc",
        "etc/utc",
        "uct",
        "etc/uct",
        "gmt",
        "etc/gmt",
        "gmt0",
        "gmt+0",
        "gmt-0",
        "etc/gmt0",
        "etc/gmt+0",
        "etc/gmt-0",
        "greenwich",
        "etc/greenwich",
        "universal",
        "etc/universal",
        "zulu",
        "etc/zulu",
        "0",
        "+0",
        "-0",
        "00:00",
        "+00:00",
        "-00:00",
        "+00",
    }
)
TIMESTAMPTZ_WITHOUT_REWRITE_VERSION = 120000


class ColumnType(NamedTuple):
    """A column's type: `name` without `pg_catalog.` (`int4`, `varchar`, `myschema.mood`),
    the type modifiers as written (`(20)`, `(10, 2)`), and array dimensions."""

    name: str
    mods: tuple[int, ...] = ()
    array: int = 0

    @property
    def sql(self) -> str:
        text = _DISPLAY.get(self.name, self.name)
        if self.mods:
            text += "(" + ", ".join(map(str, self.mods)) + ")"
        return text + "[]" * self.array

    @property
    def serial(self) -> bool:
        return self.name in _SERIALS

    def stored(self) -> ColumnType:
        """The type a column really gets: `serial` is an `integer` with a sequence."""
        return ColumnType(_SERIALS.get(self.name, self.name), self.mods, self.array)


def column_type(type_name: dict, qualify=lambda name: name) -> ColumnType:
    """A TypeName body -> ColumnType; `qualify(name)` resolves a user type's schema."""
    names = [n["String"]["sval"] for n in type_name.get("names", ()) if "String" in n]
    if names and names[0] == "pg_catalog":
        names = names[1:]
    if len(names) == 1 and names[0] in BUILTIN_TYPES:
        name = names[0]
    else:
        name = qualify(".".join(names))
    mods = tuple(_int_constant(m) for m in type_name.get("typmods", ()))
    return ColumnType(name, mods, len(type_name.get("arrayBounds", ())))


def _int_constant(node: dict) -> int:
    kind, value = unwrap(node)
    if kind == "A_Const" and "ival" in value:
        return value["ival"].get("ival", 0)
    return -1


class Change(StrEnum):
    """What a column type change costs the table."""

    NONE = "catalog only"
    SCAN = "scans the table"
    REWRITE = "rewrites the table"


class Domain(NamedTuple):
    """A domain: its base type and whether it has constraints (which force a rewrite)."""

    base: ColumnType
    constrained: bool


def type_change(
    old: ColumnType,
    new: ColumnType,
    *,
    utc: bool,
    server_version: int,
    domains: dict[str, Domain] | None = None,
) -> tuple[Change, str]:
    """(cost, why) of `ALTER COLUMN … TYPE new` (no USING) on a column of type `old`."""
    domains = domains or {}
    while old.name in domains and not old.array:  # a domain's value is its base's value
        old = domains[old.name].base
    if new.name in domains and not new.array:
        domain = domains[new.name]
        if domain.constrained:
            return Change.REWRITE, f"{new.sql} is a domain with constraints: every row is checked"
        new = domain.base
    if old == new:
        return Change.NONE, "same type"
    if old.array or new.array:
        return Change.REWRITE, "an array's elements are converted one by one"
    if old.name == new.name:
        return _typmod_change(old, new)
    if (old.name, new.name) in BINARY_CASTS:
        relabelled = ColumnType(new.name, (), 0)
        return _typmod_change(relabelled, new) if new.mods else (Change.NONE, "binary-coercible")
    if {old.name, new.name} == {"timestamp", "timestamptz"}:
        return _timestamptz_change(new, utc=utc, server_version=server_version)
    return Change.REWRITE, f"{old.sql} -> {new.sql} converts every value"


def _typmod_change(old: ColumnType, new: ColumnType) -> tuple[Change, str]:
    """A length coercion within one type: free when its support function says so."""
    if not new.mods:
        return Change.NONE, f"{new.sql} drops the limit"
    if old.mods == new.mods:
        return Change.NONE, "same type"
    name = new.name
    if name in ("varchar", "varbit") and old.mods and new.mods[0] >= old.mods[0]:
        return Change.NONE, f"{name} grows"
    if name == "numeric" and old.mods and _numeric_widens(old.mods, new.mods):
        return Change.NONE, "numeric gains precision at the same scale"
    if name in _TEMPORAL:
        widest = _TEMPORAL[name]
        old_precision = old.mods[0] if old.mods else widest
        if new.mods[0] >= min(old_precision, widest):
            return Change.NONE, "fractional-second precision grows"
    return Change.REWRITE, f"{old.sql} -> {new.sql} checks and converts every value"


def _numeric_widens(old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    old_scale = old[1] if len(old) > 1 else 0
    new_scale = new[1] if len(new) > 1 else 0
    return old_scale == new_scale and new[0] >= old[0]


def _timestamptz_change(new: ColumnType, *, utc: bool, server_version: int) -> tuple[Change, str]:
    if server_version < TIMESTAMPTZ_WITHOUT_REWRITE_VERSION:
        return Change.REWRITE, "before PostgreSQL 12 timestamp <-> timestamptz rewrites"
    if not utc:
        return Change.REWRITE, "the session time zone is not UTC: every value is shifted"
    if new.mods and new.mods[0] < _TEMPORAL[new.name]:
        return Change.REWRITE, f"{new.sql} rounds every value"
    return Change.NONE, "timestamp <-> timestamptz with the session time zone UTC"


def same_index_class(old: ColumnType, new: ColumnType) -> bool:
    """Whether an index on the column is kept (same default operator class)."""
    if old.array != new.array:
        return False
    return _OPCLASS.get(old.name, old.name) == _OPCLASS.get(new.name, new.name)


def is_utc(zone: str) -> bool:
    """Whether PostgreSQL treats this TimeZone setting as a fixed offset of zero."""
    return zone.strip().lower() in UTC_ZONES
