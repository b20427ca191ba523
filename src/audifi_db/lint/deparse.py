"""SQL text of an expression from pglast's JSON parse tree, through pglast's own printer.

Pure code. The JSON form (what `sql.parse` keeps) differs from pglast's node objects in
three ways this undoes: each node is wrapped (`{"FuncCall": {...}}`) except where its field
has one node type (a `TypeCast`'s `typeName`); a constant's value is nested by its kind;
and fields at their zero value are left out. Imported only by what drafts SQL (templates,
revert): pglast's printer costs an import the linter does not pay.
"""

from __future__ import annotations

from pglast import ast
from pglast.stream import RawStream

# A_Const's JSON key -> (the value node, its field, its zero value)
_CONSTANTS = {
    "ival": (ast.Integer, "ival", 0),
    "fval": (ast.Float, "fval", "0"),
    "boolval": (ast.Boolean, "boolval", False),
    "sval": (ast.String, "sval", ""),
    "bsval": (ast.BitString, "bsval", ""),
}
_ANY_NODE = {"Node", "List", "Expr"}


def sql_of(expression: dict) -> str:
    """`now() - CAST('1 day' AS interval)` from the tree of `now() - interval '1 day'`."""
    return RawStream()(_value(expression))


def _value(value):
    if isinstance(value, list):
        return tuple(_value(item) for item in value)
    if isinstance(value, dict) and len(value) == 1:
        kind, fields = next(iter(value.items()))
        if isinstance(fields, dict) and isinstance(getattr(ast, kind, None), type):
            return _node(kind, fields)
    return value


def _node(kind: str, fields: dict) -> ast.Node:
    if kind == "A_Const":
        return _constant(fields)
    cls = getattr(ast, kind)
    data: dict = {"@": kind}
    for key, value in fields.items():
        slot = cls.__slots__.get(key)
        typed = slot.c_type[:-1] if slot and slot.c_type.endswith("*") else ""
        if isinstance(value, dict) and typed and typed not in _ANY_NODE and hasattr(ast, typed):
            data[key] = _node(typed, value)  # a field of one node type: not wrapped
        else:
            data[key] = _value(value)
    return cls(data)


def _constant(fields: dict) -> ast.A_Const:
    if fields.get("isnull"):
        return ast.A_Const(isnull=True)
    for key, (cls, field, zero) in _CONSTANTS.items():
        if key in fields:
            return ast.A_Const(isnull=False, val=cls(fields[key].get(field, zero)))
    raise ValueError(f"a constant pglast does not describe: {fields}")
