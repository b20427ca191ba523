"""Replay of `ALTER TABLE`: one small function per subcommand (`_ALTER`).

Pure code, called by `replay.apply`. A table the model has not seen gets a stub (it exists:
it was made outside the migrations read), so what later statements learn about it is kept.
"""

from __future__ import annotations

from collections.abc import Callable

from .column_types import column_type
from .nodes import alter_commands
from .replay import add_column, add_constraint, known_or_stub, set_columns
from .schema import SchemaModel


def alter_table(model: SchemaModel, body: dict) -> None:
    if "relation" not in body or body.get("objtype") not in (None, "OBJECT_TABLE"):
        return
    key = known_or_stub(model, body["relation"])
    for cmd in alter_commands(body):
        handler = _ALTER.get(cmd["subtype"])
        if handler is not None and key in model.tables:
            handler(model, key, cmd)


def _alter_type(model: SchemaModel, key: str, cmd: dict) -> None:
    table = model.tables[key]
    column = table.columns.get(cmd["name"])
    if column is not None:
        new_type = column_type(cmd["def"]["ColumnDef"]["typeName"], model.type_name)
        table.columns[column.name] = column._replace(type=new_type, since=model.path)


def _drop_column(model: SchemaModel, key: str, cmd: dict) -> None:
    table = model.tables[key]
    name = cmd["name"]
    if table.columns.pop(name, None) is None and table.columns_known:
        return  # DROP COLUMN IF EXISTS of a column that is not there: nothing depends on it
    for constraint in [c for c in table.constraints.values() if name in c.columns]:
        del table.constraints[constraint.name]
    for index in list(model.indexes_on(key, name)):
        model.drop_index(index.name)


def _column_flag(**changes) -> Callable[[SchemaModel, str, dict], None]:
    def handler(model: SchemaModel, key: str, cmd: dict) -> None:
        set_columns(model.tables[key], (cmd["name"],), **changes)

    return handler


def _column_default(model: SchemaModel, key: str, cmd: dict) -> None:
    set_columns(model.tables[key], (cmd["name"],), has_default="def" in cmd, default=cmd.get("def"))


def _validate(model: SchemaModel, key: str, cmd: dict) -> None:
    table = model.tables[key]
    constraint = table.constraints.get(cmd["name"])
    if constraint is not None:
        table.constraints[constraint.name] = constraint._replace(validated=True)


def _drop_constraint(model: SchemaModel, key: str, cmd: dict) -> None:
    model.tables[key].constraints.pop(cmd["name"], None)
    model.drop_index(model.qualify(cmd["name"], key.partition(".")[0]))


def _set_trigger(enabled: bool) -> Callable[[SchemaModel, str, dict], None]:
    def handler(model: SchemaModel, key: str, cmd: dict) -> None:
        table = model.tables[key]
        names = [cmd["name"]] if cmd.get("name") else list(table.triggers)
        table.triggers.update({n: enabled for n in names if n in table.triggers})

    return handler


def _persistence(unlogged: bool) -> Callable[[SchemaModel, str, dict], None]:
    def handler(model: SchemaModel, key: str, _cmd: dict) -> None:
        model.tables[key].unlogged = unlogged

    return handler


def _attach(model: SchemaModel, key: str, cmd: dict) -> None:
    partition = model.table_key(cmd["def"]["PartitionCmd"]["name"])
    if partition is not None:
        model.tables[partition].partition_of = key


def _detach(model: SchemaModel, _key: str, cmd: dict) -> None:
    partition = model.table_key(cmd["def"]["PartitionCmd"]["name"])
    if partition is not None:
        model.tables[partition].partition_of = None


_ALTER: dict[str, Callable[[SchemaModel, str, dict], None]] = {
    "AT_AddColumn": lambda m, k, c: add_column(m, k, c["def"]["ColumnDef"]),
    "AT_DropColumn": _drop_column,
    "AT_AlterColumnType": _alter_type,
    "AT_ColumnDefault": _column_default,
    "AT_SetNotNull": _column_flag(not_null=True),
    "AT_DropNotNull": _column_flag(not_null=False),
    "AT_AddIdentity": _column_flag(has_default=True, not_null=True, default=None),
    "AT_DropIdentity": _column_flag(has_default=False, default=None),
    "AT_AddConstraint": lambda m, k, c: add_constraint(m, k, c["def"]["Constraint"]),
    "AT_ValidateConstraint": _validate,
    "AT_DropConstraint": _drop_constraint,
    "AT_EnableTrig": _set_trigger(True),
    "AT_EnableAlwaysTrig": _set_trigger(True),
    "AT_EnableReplicaTrig": _set_trigger(True),
    "AT_DisableTrig": _set_trigger(False),
    "AT_EnableTrigAll": _set_trigger(True),
    "AT_DisableTrigAll": _set_trigger(False),
    "AT_EnableTrigUser": _set_trigger(True),
    "AT_DisableTrigUser": _set_trigger(False),
    "AT_SetLogged": _persistence(False),
    "AT_SetUnLogged": _persistence(True),
    "AT_AttachPartition": _attach,
    "AT_DetachPartition": _detach,
}
