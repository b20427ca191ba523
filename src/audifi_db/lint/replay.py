"""Replay one statement's DDL into a `SchemaModel`: tables, columns, constraints, indexes.

Pure code, one small function per statement kind (`_APPLY`), reading pglast's JSON parse
tree. Statements that change nothing the model keeps (SELECT, INSERT, GRANT…) are ignored;
so is anything about an object the model does not know. Types, schemas, triggers and
session settings are in `replay_objects.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from .column_types import column_type
from .nodes import column_constraints, column_refs, unwrap
from .schema import UNKNOWN, Column, Constraint, Index, SchemaModel, Table

_RELATION_KINDS = {
    "OBJECT_TABLE": "table",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "matview",
    "OBJECT_FOREIGN_TABLE": "foreign",
}


def apply(model: SchemaModel, kind: str, body: dict) -> None:
    handler = _APPLY.get(kind)
    if handler is not None:
        handler(model, body)


def key_for_new(model: SchemaModel, range_var: dict) -> str:
    return model.qualify(range_var["relname"], range_var.get("schemaname"))


def _new_table(model: SchemaModel, key: str, **fields) -> Table:
    return Table(key, origin=model.path, new=model.in_run, **fields)


def known_or_stub(model: SchemaModel, range_var: dict) -> str:
    """The table's key; a table the model has not seen exists all the same (it was made
    outside the migrations read): a stub records what is done to it from now on."""
    key = model.table_key(range_var)
    if key is None:
        key = key_for_new(model, range_var)
        model.tables[key] = Table(key, origin=UNKNOWN, columns_known=False)
    return key


def _column(model: SchemaModel, column_def: dict) -> Column:
    constraints = {c["contype"]: c for c in column_constraints(column_def)}
    typ = column_type(column_def["typeName"], model.type_name)
    default = constraints.get("CONSTR_DEFAULT", {}).get("raw_expr")
    return Column(
        column_def["colname"],
        typ.stored(),
        not_null=bool(constraints.keys() & {"CONSTR_NOTNULL", "CONSTR_PRIMARY", "CONSTR_IDENTITY"}),
        has_default=typ.serial
        or bool(constraints.keys() & {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"}),
        since=model.path,
        origin=model.path,
        new=model.in_run,
        default=None if typ.serial else default,
    )


def _create_table(model: SchemaModel, body: dict) -> None:
    key = key_for_new(model, body["relation"])
    if key in model.tables and body.get("if_not_exists"):
        return
    parent = next(iter(body.get("inhRelations", ())), None)
    partition_of = None
    if parent is not None and "partbound" in body:
        partition_of = model.table_key(parent["RangeVar"])
    table = _new_table(
        model,
        key,
        kind="partitioned" if "partspec" in body else "table",
        partition_of=partition_of,
        partition_key=_partition_key(body.get("partspec")),
        unlogged=body["relation"].get("relpersistence") == "u",
    )
    model.tables[key] = table
    if "ofTypename" in body:  # CREATE TABLE … OF a composite type the model does not keep
        table.columns_known = False
    for element in body.get("tableElts", ()):
        element_kind, value = unwrap(element)
        if element_kind == "ColumnDef" and "typeName" not in value:
            continue  # `col WITH OPTIONS …`: a column of the type or the parent, as it is there
        if element_kind == "ColumnDef":
            add_column(model, key, value)
        elif element_kind == "Constraint":
            add_constraint(model, key, value)
        elif element_kind == "TableLikeClause":
            _copy_columns(model, key, value["relation"])
    if partition_of and partition_of in model.tables:
        _copy_columns(model, key, body["inhRelations"][0]["RangeVar"])


def _partition_key(spec: dict | None) -> tuple[str, ...]:
    if not spec:
        return ()
    params = (unwrap(p)[1] for p in spec.get("partParams", ()))
    return tuple(p["name"] for p in params if "name" in p)


def _copy_columns(model: SchemaModel, key: str, source: dict) -> None:
    other = model.table(source)
    table = model.tables[key]
    if other is None:
        table.columns_known = False
        return
    for name, column in other.columns.items():
        table.columns.setdefault(name, column._replace(since=model.path, origin=model.path))


def add_column(model: SchemaModel, key: str, column_def: dict) -> None:
    table = model.tables[key]
    column = _column(model, column_def)
    if column.name in table.columns:
        return  # ADD COLUMN IF NOT EXISTS of a column that exists
    table.columns[column.name] = column
    for constraint in column_constraints(column_def):
        if constraint["contype"] in _CONTYPES:
            add_constraint(model, key, constraint, (column.name,))


_CONTYPES = {
    "CONSTR_CHECK": "check",
    "CONSTR_FOREIGN": "foreign",
    "CONSTR_UNIQUE": "unique",
    "CONSTR_PRIMARY": "primary",
    "CONSTR_EXCLUSION": "exclusion",
}


def constraint_columns(constraint: dict, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The columns a constraint is on: its keys, FK columns, or those its CHECK reads."""
    keys = constraint.get("fk_attrs") or constraint.get("keys")
    if keys:
        return tuple(k["String"]["sval"] for k in keys)
    if constraint.get("contype") == "CONSTR_CHECK":
        return tuple(dict.fromkeys(column_refs(constraint.get("raw_expr"))))
    return default


def add_constraint(model: SchemaModel, key: str, body: dict, on: tuple[str, ...] = ()) -> None:
    kind = _CONTYPES.get(body.get("contype", ""))
    if kind is None:
        return
    table = model.tables[key]
    columns = constraint_columns(body, on)
    name = body.get("conname") or body.get("indexname") or _default_name(table, kind, columns)
    references = None
    if kind == "foreign":
        references = model.table_key(body["pktable"]) or dotted_range(body["pktable"])
    if kind in ("primary", "unique"):
        columns = _constraint_index(model, key, name, body, columns)
    if kind == "primary":
        set_columns(table, columns, not_null=True)
    table.constraints[name] = Constraint(
        name,
        kind,
        columns,
        validated=not body.get("skip_validation"),
        not_null_of=not_null_check_column(body),
        references=references,
        added_in=model.path,
        referenced=tuple(k["String"]["sval"] for k in body.get("pk_attrs", ())),
    )


def _constraint_index(
    model: SchemaModel, key: str, name: str, body: dict, columns: tuple[str, ...]
) -> tuple[str, ...]:
    """The index of a primary key or unique constraint, named after it: a new one, or the
    one `USING INDEX` names, which PostgreSQL renames so. Returns its columns."""
    schema = key.partition(".")[0]
    plain = not (body.keys() & _NOT_PLAIN_CONSTRAINT)
    if "indexname" in body:
        existing = model.drop_index(model.qualify(body["indexname"], schema))
        columns = existing.columns if existing else columns
        plain = plain and existing is not None and existing.plain
    index = Index(model.qualify(name, schema), key, columns, True, origin=model.path, plain=plain)
    model.add_index(index)
    return columns


# what makes a constraint's index more than its columns (`indexname` is USING INDEX's)
_NOT_PLAIN_CONSTRAINT = {"including", "nulls_not_distinct", "options", "indexspace", "deferrable"}


def _default_name(table: Table, kind: str, columns: tuple[str, ...]) -> str:
    suffix = {"primary": "pkey", "unique": "key", "foreign": "fkey", "check": "check"}
    if kind == "primary":
        return f"{table.short}_pkey"
    return "_".join([table.short, *columns[:1], suffix.get(kind, "excl")])


def dotted_range(range_var: dict) -> str:
    schema = range_var.get("schemaname")
    return f"{schema}.{range_var['relname']}" if schema else range_var["relname"]


def not_null_check_column(constraint: dict) -> str | None:
    """`col` when the constraint is `CHECK (col IS NOT NULL)`, else None."""
    if constraint.get("contype") != "CONSTR_CHECK":
        return None
    test = (constraint.get("raw_expr") or {}).get("NullTest")
    if not test or test.get("nulltesttype") != "IS_NOT_NULL":
        return None
    fields = test["arg"].get("ColumnRef", {}).get("fields", [])
    return fields[-1]["String"]["sval"] if fields and "String" in fields[-1] else None


def set_columns(table: Table, names: tuple[str, ...], **changes) -> None:
    for name in names:
        if name in table.columns:
            table.columns[name] = table.columns[name]._replace(**changes)


def _create_table_as(model: SchemaModel, body: dict) -> None:
    into = body["into"]
    key = key_for_new(model, into["rel"])
    if key in model.tables and body.get("if_not_exists"):
        return
    kind = "matview" if body.get("objtype") == "OBJECT_MATVIEW" else "table"
    # the columns' types are those of the query: unknown to the model
    model.tables[key] = _new_table(model, key, kind=kind, columns_known=False)


def _view(model: SchemaModel, body: dict) -> None:
    key = key_for_new(model, body["view"])
    if key not in model.tables or body.get("replace"):
        model.tables[key] = _new_table(model, key, kind="view", columns_known=False)


def _index(model: SchemaModel, body: dict) -> None:
    table = known_or_stub(model, body["relation"])
    columns = tuple(
        p["IndexElem"]["name"] for p in body.get("indexParams", ()) if p["IndexElem"].get("name")
    )
    name = body.get("idxname") or "_".join([table.rpartition(".")[2], *columns[:1], "idx"])
    key = model.qualify(name, table.partition(".")[0])
    if key in model.indexes and body.get("if_not_exists"):
        return
    plain = (
        body.get("accessMethod") == "btree"
        and not (body.keys() & _NOT_PLAIN_INDEX)
        and all(_plain_element(p["IndexElem"]) for p in body.get("indexParams", ()))
    )
    mentions = _mentioned(body, columns)
    unique = bool(body.get("unique"))
    model.add_index(
        Index(key, table, columns, unique, origin=model.path, plain=plain, mentions=mentions)
    )


def _mentioned(body: dict, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The columns an index reads other than its plain key columns."""
    elements = [p["IndexElem"] for p in body.get("indexParams", ())]
    elements += [p["IndexElem"] for p in body.get("indexIncludingParams", ())]
    read = [e["name"] for e in elements if "name" in e]
    read += column_refs([e.get("expr") for e in elements] + [body.get("whereClause")])
    return tuple(c for c in dict.fromkeys(read) if c not in columns)


_NOT_PLAIN_INDEX = {
    "indexIncludingParams",
    "whereClause",
    "nulls_not_distinct",
    "options",
    "tableSpace",
}


def _plain_element(element: dict) -> bool:
    """A column in its default order, collation and operator class."""
    return (
        "name" in element
        and element.get("ordering") == "SORTBY_DEFAULT"
        and element.get("nulls_ordering") == "SORTBY_NULLS_DEFAULT"
        and not (element.keys() & {"expr", "collation", "opclass", "opclassopts"})
    )


def _drop(model: SchemaModel, body: dict) -> None:
    kind = body["removeType"]
    for obj in body.get("objects", ()):
        names = _object_parts(obj)
        if kind in _RELATION_KINDS:
            table = model.table_named(".".join(names))
            if table is not None:
                model.drop_table(table.name)
        elif kind == "OBJECT_INDEX":
            index = model.index_named(".".join(names))
            if index is not None:
                model.drop_index(index.name)
        else:
            from .replay_objects import drop_object

            drop_object(model, kind, names)


def _object_parts(obj: dict) -> list[str]:
    kind, value = unwrap(obj)
    if kind == "List":
        return [n["String"]["sval"] for n in value.get("items", ()) if "String" in n]
    if kind == "String":
        return [value["sval"]]
    if kind == "TypeName":
        return [n["String"]["sval"] for n in value.get("names", ()) if "String" in n]
    return []


def _rename(model: SchemaModel, body: dict) -> None:
    kind = body["renameType"]
    if kind in _RELATION_KINDS and "relation" in body:
        key = model.table_key(body["relation"])
        if key is not None:
            rename_table(model, key, f"{key.partition('.')[0]}.{body['newname']}")
    elif kind == "OBJECT_COLUMN" and "relation" in body:
        key = model.table_key(body["relation"])
        if key is not None:
            _rename_column(model, key, body["subname"], body["newname"])
    elif kind == "OBJECT_INDEX":
        index = model.index_named(dotted_range(body["relation"]))
        if index is not None:
            model.drop_index(index.name)
            new_key = f"{index.name.partition('.')[0]}.{body['newname']}"
            model.add_index(index._replace(name=new_key))
    elif kind == "OBJECT_TABCONSTRAINT" and "relation" in body:
        key = model.table_key(body["relation"])
        table = model.tables.get(key) if key else None
        if table is not None and body["subname"] in table.constraints:
            constraint = table.constraints.pop(body["subname"])
            table.constraints[body["newname"]] = constraint._replace(name=body["newname"])
    else:
        _objects().rename_object(model, body)


def rename_table(model: SchemaModel, old: str, new: str) -> None:
    table = model.tables.pop(old)
    table.name = new
    model.tables[new] = table
    for key in table.indexes:
        model.indexes[key] = model.indexes[key]._replace(table=new)
    for referencing, constraint in model.foreign_keys_to(old):
        referencing.constraints[constraint.name] = constraint._replace(references=new)


def _rename_column(model: SchemaModel, key: str, old: str, new: str) -> None:
    table = model.tables[key]
    if old not in table.columns:
        return
    table.columns = {(new if n == old else n): c for n, c in table.columns.items()}
    table.columns[new] = table.columns[new]._replace(name=new)

    def renamed(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if n == old else n for n in names)

    table.constraints = {
        n: c._replace(
            columns=renamed(c.columns),
            not_null_of=new if c.not_null_of == old else c.not_null_of,
        )
        for n, c in table.constraints.items()
    }
    for name in table.indexes:
        index = model.indexes[name]
        columns, mentions = renamed(index.columns), renamed(index.mentions)
        model.indexes[name] = index._replace(columns=columns, mentions=mentions)
    for referencing, constraint in model.foreign_keys_to(key):
        referenced = renamed(constraint.referenced)
        referencing.constraints[constraint.name] = constraint._replace(referenced=referenced)


def _alter_schema_of(model: SchemaModel, body: dict) -> None:
    if body.get("objectType") in _RELATION_KINDS and "relation" in body:
        key = model.table_key(body["relation"])
        if key is not None:
            rename_table(model, key, f"{body['newschema']}.{key.partition('.')[2]}")


@functools.cache
def _alter():
    """`replay_alter.py`, which builds on this module: imported on first use, once."""
    from . import replay_alter

    return replay_alter


@functools.cache
def _objects():
    """`replay_objects.py`, which builds on this module: imported on first use, once."""
    from . import replay_objects

    return replay_objects


def _apply_objects(kind: str) -> Callable[[SchemaModel, dict], None]:
    def handler(model: SchemaModel, body: dict) -> None:
        _objects().APPLY[kind](model, body)

    return handler


_APPLY: dict[str, Callable[[SchemaModel, dict], None]] = {
    "CreateStmt": _create_table,
    "CreateTableAsStmt": _create_table_as,
    "ViewStmt": _view,
    "IndexStmt": _index,
    "DropStmt": _drop,
    "RenameStmt": _rename,
    "AlterTableStmt": lambda model, body: _alter().alter_table(model, body),
    "AlterObjectSchemaStmt": _alter_schema_of,
    **{
        kind: _apply_objects(kind)
        for kind in (
            "CreateTrigStmt",
            "CreateEnumStmt",
            "AlterEnumStmt",
            "CreateDomainStmt",
            "AlterDomainStmt",
            "CreateSchemaStmt",
            "VariableSetStmt",
        )
    },
}
