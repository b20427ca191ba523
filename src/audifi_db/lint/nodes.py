"""Small readers of pglast's JSON parse tree (plain dicts), shared by the rules and `locks`.

Pure code. Nodes look like `{"ColumnDef": {...}}`; these helpers hide the wrappers.
"""

from __future__ import annotations

from collections.abc import Iterator

# Built-in functions a default may call without a table rewrite (IMMUTABLE or STABLE:
# PostgreSQL >= 11 evaluates them once and stores the value in the catalog).
_NON_VOLATILE_FUNCTIONS = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "current_setting",
        "lower",
        "upper",
        "coalesce",
        "nullif",
        "concat",
        "jsonb_build_object",
        "json_build_object",
        "jsonb_build_array",
        "json_build_array",
        "to_jsonb",
        "to_json",
        "array_fill",
        "make_interval",
        "make_date",
        "make_timestamp",
        "make_timestamptz",
        "to_timestamp",
        "to_date",
        "date_trunc",
        "timezone",
        "length",
        "abs",
        "greatest",
        "least",
        "md5",
        "repeat",
        "replace",
    }
)


def unwrap(node: dict) -> tuple[str, dict]:
    """(`"ColumnDef"`, {...}) of a wrapped node."""
    kind = next(iter(node))
    return kind, node[kind]


def relation_name(range_var: dict) -> str:
    """`schema.name` or `name` of a RangeVar body."""
    schema = range_var.get("schemaname")
    return f"{schema}.{range_var['relname']}" if schema else range_var["relname"]


def dotted(names: list[dict]) -> str:
    """`a.b` from a list of String nodes (an object name, a type name)."""
    return ".".join(n["String"]["sval"] for n in names if "String" in n)


def object_names(drop_body: dict) -> list[str]:
    """The names a DropStmt drops, e.g. `["public.users"]`."""
    names = []
    for obj in drop_body.get("objects", []):
        kind, value = unwrap(obj)
        if kind == "List":
            names.append(dotted(value.get("items", [])))
        elif kind == "String":
            names.append(value["sval"])
        elif kind == "TypeName":
            names.append(dotted(value.get("names", [])))
    return names


def type_name(type_node: dict) -> str:
    """Last part of a TypeName body, e.g. `int4`, `varchar`, `bigserial`."""
    names = type_node.get("names", [])
    return names[-1]["String"]["sval"] if names else ""


def sql_type(type_node: dict) -> str:
    """A TypeName body as SQL, e.g. `bigint`, `varchar(20)`, `integer[]`."""
    from .column_types import column_type

    return column_type(type_node).sql


def alter_commands(body: dict) -> Iterator[dict]:
    """The AlterTableCmd bodies of an AlterTableStmt body."""
    for cmd in body.get("cmds", []):
        yield cmd["AlterTableCmd"]


def column_constraints(column_def: dict) -> Iterator[dict]:
    """Constraint bodies declared on a ColumnDef body."""
    for constraint in column_def.get("constraints", []):
        yield constraint["Constraint"]


def column_default(column_def: dict) -> dict | None:
    """The DEFAULT expression of a ColumnDef body, or None (also for `DEFAULT NULL`)."""
    for constraint in column_constraints(column_def):
        if constraint["contype"] == "CONSTR_DEFAULT":
            expr = constraint.get("raw_expr")
            return None if expr and expr.get("A_Const", {}).get("isnull") else expr
    return None


def has_constraint(column_def: dict, contype: str) -> bool:
    return any(c["contype"] == contype for c in column_constraints(column_def))


def walk(node: object) -> Iterator[dict]:
    """Every dict below `node`, depth first (the node itself included)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def volatile_calls(expr: dict | None) -> list[str]:
    """Functions in `expr` that may be VOLATILE (every function not known to be safe is:
    CREATE FUNCTION's default volatility is VOLATILE)."""
    if expr is None:
        return []
    calls = []
    for node in walk(expr):
        call = node.get("FuncCall")
        if call is not None:
            name = dotted(call["funcname"]).removeprefix("pg_catalog.")
            if name not in _NON_VOLATILE_FUNCTIONS:
                calls.append(name)
    return calls


def column_refs(expr: object) -> Iterator[str]:
    """The names of the columns an expression reads (the last part of each reference)."""
    for node in walk(expr):
        ref = node.get("ColumnRef")
        if ref is not None and ref["fields"] and "String" in ref["fields"][-1]:
            yield ref["fields"][-1]["String"]["sval"]


def string_constants(node: object) -> Iterator[str]:
    """Every string literal below `node`."""
    for value in walk(node):
        constant = value.get("A_Const")
        if constant is not None and "sval" in constant:
            yield constant["sval"]["sval"]


def location_of(node: dict | None) -> int | None:
    """The `location` of a node body or of a wrapped node, when the parser recorded one."""
    if not node:
        return None
    if "location" not in node and len(node) == 1:
        node = next(iter(node.values()))
        if not isinstance(node, dict):
            return None
    location = node.get("location", -1)
    return location if location >= 0 else None
