"""Replay of what is not a table's shape: triggers, enums, domains, schemas, and the
session settings a migration may SET (search_path, TimeZone).

Pure code, called by `replay.apply`.
"""

from __future__ import annotations

from collections.abc import Callable

from .column_types import Domain, column_type
from .nodes import unwrap
from .schema import SchemaModel


def _names(nodes: list[dict]) -> list[str]:
    return [n["String"]["sval"] for n in nodes if "String" in n]


def _type_key(model: SchemaModel, nodes: list[dict]) -> str:
    names = _names(nodes)
    return model.qualify(names[-1], names[0] if len(names) > 1 else None)


def _trigger(model: SchemaModel, body: dict) -> None:
    key = model.table_key(body["relation"])
    if key is not None:
        model.tables[key].triggers[body["trigname"]] = True


def _enum(model: SchemaModel, body: dict) -> None:
    key = _type_key(model, body["typeName"])
    model.enums[key] = tuple(_names(body.get("vals", [])))
    model.record_created(key)


def _alter_enum(model: SchemaModel, body: dict) -> None:
    key = model.type_name(".".join(_names(body["typeName"])))
    values = model.enums.get(key)
    if values is None:
        return
    if body.get("oldVal"):
        model.enums[key] = tuple(body["newVal"] if v == body["oldVal"] else v for v in values)
    elif body.get("newVal") and body["newVal"] not in values:
        model.enums[key] = (*values, body["newVal"])


def _domain(model: SchemaModel, body: dict) -> None:
    key = _type_key(model, body["domainname"])
    constrained = any(
        unwrap(c)[1].get("contype") == "CONSTR_CHECK" for c in body.get("constraints", [])
    )
    model.domains[key] = Domain(column_type(body["typeName"], model.type_name), constrained)
    model.record_created(key)


def _alter_domain(model: SchemaModel, body: dict) -> None:
    key = model.type_name(".".join(_names(body["typeName"])))
    domain = model.domains.get(key)
    if domain is not None and body.get("subtype") == "C":
        model.domains[key] = domain._replace(constrained=True)


def _schema(model: SchemaModel, body: dict) -> None:
    # CREATE SCHEMA AUTHORIZATION r is named r; AUTHORIZATION CURRENT_USER, unknown here
    name = body.get("schemaname") or body.get("authrole", {}).get("rolename")
    if name is None:
        return
    model.schemas.add(name)
    model.record_created(name)
    for element in body.get("schemaElts", []):
        kind, value = unwrap(element)
        from .replay import apply

        apply(model, kind, value)


def _setting(model: SchemaModel, body: dict) -> None:
    name, kind = body.get("name"), body.get("kind")
    if name not in ("search_path", "timezone"):
        return
    if kind in ("VAR_SET_DEFAULT", "VAR_RESET"):
        value = getattr(model.base_session, name)
    elif kind == "VAR_SET_VALUE":
        values = [_setting_value(a) for a in body.get("args", [])]
        value = tuple(values) if name == "search_path" else values[0]
    else:
        return
    model.session = model.session._replace(**{name: value})


def _setting_value(node: dict) -> str:
    kind, value = unwrap(node)
    if kind == "TypeCast":  # SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE
        return _setting_value(value["arg"])
    if kind == "A_Const":
        if "sval" in value:
            return value["sval"]["sval"]
        if "ival" in value:
            return str(value["ival"].get("ival", 0))
        if "fval" in value:
            return value["fval"]["fval"]
    return ""


def drop_object(model: SchemaModel, kind: str, names: list[str]) -> None:
    """DROP of a schema, type, domain or trigger (relations and indexes are in replay)."""
    if kind == "OBJECT_SCHEMA" and names:
        _drop_schema(model, names[0])
    elif kind in ("OBJECT_TYPE", "OBJECT_DOMAIN"):
        key = model.type_name(".".join(names))
        model.enums.pop(key, None)
        model.domains.pop(key, None)
    elif kind == "OBJECT_TRIGGER" and len(names) >= 2:
        table = model.table_named(".".join(names[:-1]))
        if table is not None:
            table.triggers.pop(names[-1], None)


def _drop_schema(model: SchemaModel, schema: str) -> None:
    model.schemas.discard(schema)
    prefix = f"{schema}."
    for key in [k for k in model.tables if k.startswith(prefix)]:
        model.drop_table(key)
    for space in (model.enums, model.domains):
        for key in [k for k in space if k.startswith(prefix)]:
            del space[key]
    for key in [k for k in model.indexes if k.startswith(prefix)]:
        model.drop_index(key)


def rename_object(model: SchemaModel, body: dict) -> None:
    """RENAME of a schema, type or trigger."""
    kind = body["renameType"]
    if kind == "OBJECT_SCHEMA":
        _rename_schema(model, body["subname"], body["newname"])
    elif kind in ("OBJECT_TYPE", "OBJECT_DOMAIN"):
        key = model.type_name(".".join(_names(_object_names(body))))
        new = f"{key.rpartition('.')[0]}.{body['newname']}"
        for space in (model.enums, model.domains, model.created):
            if key in space:
                space[new] = space.pop(key)
    elif kind == "OBJECT_TRIGGER" and "relation" in body:
        key = model.table_key(body["relation"])
        table = model.tables.get(key) if key else None
        if table is not None and body["subname"] in table.triggers:
            table.triggers[body["newname"]] = table.triggers.pop(body["subname"])


def _object_names(body: dict) -> list[dict]:
    kind, value = unwrap(body["object"])
    return value.get("items", []) if kind == "List" else value.get("names", [])


def _rename_schema(model: SchemaModel, old: str, new: str) -> None:
    from .replay import rename_table

    if old not in model.schemas:
        return
    model.schemas.discard(old)
    model.schemas.add(new)
    prefix = f"{old}."
    for key in [k for k in model.tables if k.startswith(prefix)]:
        rename_table(model, key, new + key[len(old) :])
    for space in (model.enums, model.domains, model.created):
        for key in [k for k in space if k.startswith(prefix)]:
            space[new + key[len(old) :]] = space.pop(key)
    if old in model.created:
        model.created[new] = model.created.pop(old)
    for key in [k for k in model.indexes if k.startswith(prefix)]:
        index = model.drop_index(key)
        model.add_index(index._replace(name=new + key[len(old) :]))


APPLY: dict[str, Callable[[SchemaModel, dict], None]] = {
    "CreateTrigStmt": _trigger,
    "CreateEnumStmt": _enum,
    "AlterEnumStmt": _alter_enum,
    "CreateDomainStmt": _domain,
    "AlterDomainStmt": _alter_domain,
    "CreateSchemaStmt": _schema,
    "VariableSetStmt": _setting,
}
