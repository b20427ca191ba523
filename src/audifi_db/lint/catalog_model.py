"""The live catalogue's plain values -> a `SchemaModel`.

Pure code. Types arrive as `format_type()` text and check constraints as their expression
text; both are parsed with pglast in one `SELECT` each, so a type read from the database
compares equal to the same type written in a migration.
"""

from __future__ import annotations

import json

from pglast import parser

from .column_types import ColumnType, Domain, column_type
from .nodes import unwrap
from .replay import not_null_check_column
from .schema import LIVE, CatalogValues, Column, Constraint, Index, SchemaModel, Session, Table

_RELKINDS = {"r": "table", "p": "partitioned", "v": "view", "m": "matview", "f": "foreign"}
_CONTYPES = {"c": "check", "f": "foreign", "u": "unique", "p": "primary", "x": "exclusion"}


def build(values: CatalogValues) -> SchemaModel:
    session = Session(tuple(values.search_path), values.timezone)
    model = SchemaModel(schemas=set(values.schemas), base_session=session, session=session)
    types = _parse_types([c[2] for c in values.columns] + [d[1] for d in values.domains])
    qualify = _qualifier(values)
    columns: dict[str, dict[str, Column]] = {}
    for (table, name, _, not_null, has_default), typ in zip(values.columns, types, strict=False):
        columns.setdefault(table, {})[name] = Column(
            name, qualify(typ), not_null=not_null, has_default=has_default
        )
    constraints = _constraints(values.constraints)
    triggers: dict[str, dict[str, bool]] = {}
    for table, name, enabled in values.triggers:
        triggers.setdefault(table, {})[name] = enabled
    for schema, name, relkind, persistence, rows, parent, key in values.tables:
        qualified = f"{schema}.{name}"
        model.tables[qualified] = Table(
            qualified,
            kind=_RELKINDS.get(relkind, "table"),
            columns=columns.get(qualified, {}),
            constraints=constraints.get(qualified, {}),
            triggers=triggers.get(qualified, {}),
            rows=rows,
            partition_of=parent,
            partition_key=tuple(key or ()),
            unlogged=persistence == "u",
        )
    for schema, name, table, index_columns, unique, valid in values.indexes:
        qualified = f"{schema}.{name}"
        model.add_index(Index(qualified, table, tuple(index_columns), unique, valid))
    for name, labels in values.enums:
        model.enums[name] = tuple(labels)
    domain_types = types[len(values.columns) :]
    for (name, _, constrained), base in zip(values.domains, domain_types, strict=False):
        model.domains[name] = Domain(qualify(base), constrained)
    return model


def _qualifier(values: CatalogValues):
    """format_type() leaves a type unqualified when the search path finds it."""
    user_types = {name.rpartition(".")[2]: name for name, _ in values.enums}
    user_types.update({name.rpartition(".")[2]: name for name, *_ in values.domains})

    def qualify(typ: ColumnType) -> ColumnType:
        if "." in typ.name or typ.name not in user_types:
            return typ
        return ColumnType(user_types[typ.name], typ.mods, typ.array)

    return qualify


def _parse_types(texts: list[str]) -> list[ColumnType]:
    casts = _select_list([f"NULL::{t}" for t in texts])
    return [column_type(cast["TypeCast"]["typeName"]) for cast in casts]


def _select_list(expressions: list[str]) -> list[dict]:
    """The parse trees of SQL expressions, all parsed in one `SELECT`."""
    if not expressions:
        return []
    sql = "SELECT " + ", ".join(expressions)
    targets = json.loads(parser.parse_sql_json(sql))["stmts"][0]["stmt"]["SelectStmt"]
    return [unwrap(t)[1]["val"] for t in targets["targetList"]]


def _constraints(rows: tuple[tuple, ...]) -> dict[str, dict[str, Constraint]]:
    checks = [row[5] for row in rows if row[2] == "c" and row[5]]
    parsed = iter(_select_list([f"({c})" for c in checks]))
    found: dict[str, dict[str, Constraint]] = {}
    for table, name, contype, validated, columns, check, references in rows:
        kind = _CONTYPES.get(contype)
        if kind is None:
            continue
        not_null_of = None
        if contype == "c" and check:
            expression = next(parsed)
            not_null_of = not_null_check_column({"contype": "CONSTR_CHECK", "raw_expr": expression})
        found.setdefault(table, {})[name] = Constraint(
            name, kind, tuple(columns or ()), validated, not_null_of, references, LIVE
        )
    return found
