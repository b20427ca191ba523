"""Which lock a statement takes on which relation, and whether it rewrites or scans the table.

Pure code: a table of PostgreSQL's documented lock levels (the "Explicit Locking" chapter
and `AlterTableGetLockLevel`), checked against `bench/online/lockprobe.sh` on PG15. Used by
the rules to say which lock a finding is about, and by `audifi-db lint --explain`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import NamedTuple

from ..sql import Statement
from .column_types import Change
from .nodes import (
    alter_commands,
    column_constraints,
    column_default,
    dotted,
    has_constraint,
    object_names,
    relation_name,
    type_name,
    unwrap,
    volatile_calls,
)
from .schema import SchemaModel, Table
from .type_changes import analyse

FAST_DEFAULT_VERSION = 110000  # PostgreSQL 11 stores a constant default without a rewrite
VIRTUAL_GENERATED_VERSION = 180000


class LockMode(IntEnum):
    """Table lock modes, weakest first; the values are LOCK TABLE's mode numbers."""

    ACCESS_SHARE = 1
    ROW_SHARE = 2
    ROW_EXCLUSIVE = 3
    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def blocks_writes(self) -> bool:
        return self >= LockMode.SHARE


class LockEffect(NamedTuple):
    """One relation's lock, taken by one statement and held until its transaction ends."""

    relation: str
    mode: LockMode
    rewrite: bool = False
    scan: bool = False

    def describe(self) -> str:
        return f"{self.mode.label} on {self.relation}"


def effects(
    statement: Statement, server_version: int, schema: SchemaModel | None = None
) -> list[LockEffect]:
    """The relation locks `statement` takes, strongest first (empty: no table lock).

    With a schema model, a column type change is judged against the column's old type
    and an index's table is named."""
    reader = _READERS.get(statement.node_type)
    found = reader(statement.body, _Known(server_version, schema)) if reader else []
    return sorted(found, key=lambda e: -e.mode)


def describe(statement: Statement, server_version: int, schema: SchemaModel | None = None) -> str:
    """`ACCESS EXCLUSIVE on users; SHARE ROW EXCLUSIVE on artists`, or empty."""
    return "; ".join(e.describe() for e in effects(statement, server_version, schema))


class _Known(NamedTuple):
    """What a reader may use: the server version and, when there is one, the model."""

    version: int
    schema: SchemaModel | None = None

    def table(self, range_var: dict) -> Table | None:
        return self.schema.table(range_var) if self.schema is not None else None

    def index_table(self, name: str) -> str:
        index = self.schema.index_named(name) if self.schema is not None else None
        return index.table if index is not None else f"the table of index {name}"


_ALTER_MODES = {
    "AT_ValidateConstraint": LockMode.SHARE_UPDATE_EXCLUSIVE,
    "AT_SetStatistics": LockMode.SHARE_UPDATE_EXCLUSIVE,
    "AT_ClusterOn": LockMode.SHARE_UPDATE_EXCLUSIVE,
    "AT_DropCluster": LockMode.SHARE_UPDATE_EXCLUSIVE,
    "AT_SetRelOptions": LockMode.SHARE_UPDATE_EXCLUSIVE,
    "AT_ResetRelOptions": LockMode.SHARE_UPDATE_EXCLUSIVE,
    "AT_AttachPartition": LockMode.SHARE_UPDATE_EXCLUSIVE,
    "AT_EnableTrig": LockMode.SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrig": LockMode.SHARE_ROW_EXCLUSIVE,
    "AT_EnableTrigAll": LockMode.SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrigAll": LockMode.SHARE_ROW_EXCLUSIVE,
    "AT_EnableTrigUser": LockMode.SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrigUser": LockMode.SHARE_ROW_EXCLUSIVE,
}
_REWRITING_SUBTYPES = {"AT_SetLogged", "AT_SetUnLogged", "AT_SetTableSpace", "AT_SetAccessMethod"}
_SERIAL_TYPES = {"smallserial", "serial", "bigserial", "serial2", "serial4", "serial8"}


def _alter_table(body: dict, known: _Known) -> list[LockEffect]:
    if "relation" not in body:
        return []
    table = relation_name(body["relation"])
    model_table = known.table(body["relation"])
    mode, rewrite, scan, referenced = LockMode.ACCESS_SHARE, False, False, []
    for cmd in alter_commands(body):
        mode = max(mode, _command_mode(cmd))
        if cmd["subtype"] == "AT_AlterColumnType":
            change = analyse(known.schema, model_table, cmd, known.version).change
            rewrite = rewrite or change is Change.REWRITE
            scan = scan or change is Change.SCAN
        else:
            rewrite = rewrite or command_rewrites(cmd, known.version)
            scan = scan or (_command_scans(cmd) and not _proven(model_table, cmd, known))
        referenced.extend(_referenced_tables(cmd))
    main = LockEffect(table, mode, rewrite, scan or rewrite)
    others = [LockEffect(r, LockMode.SHARE_ROW_EXCLUSIVE) for r in referenced]
    others += [LockEffect(r, LockMode.ACCESS_EXCLUSIVE) for r in _unreferenced(body, model_table)]
    return [main, *others, *_partitions(body, model_table)]


def _unreferenced(body: dict, table: Table | None) -> list[str]:
    """Dropping a foreign key drops its triggers on the referenced table too, under ACCESS
    EXCLUSIVE there (PostgreSQL 15: reads of `artists` wait while `tracks` drops its key).
    Known only from the model."""
    if table is None:
        return []
    dropped = [c["name"] for c in alter_commands(body) if c["subtype"] == "AT_DropConstraint"]
    keys = [table.constraints.get(name) for name in dropped]
    return [k.references for k in keys if k is not None and k.kind == "foreign" and k.references]


def _partitions(body: dict, parent: Table | None) -> list[LockEffect]:
    """ATTACH locks the partition ACCESS EXCLUSIVE and scans it; a plain DETACH locks it
    ACCESS EXCLUSIVE, a concurrent one SHARE UPDATE EXCLUSIVE. Both lock every table the
    parent's foreign keys reference SHARE ROW EXCLUSIVE (the partition's copies of those
    constraints are made or made standalone): writes to `users` wait while a month of
    events is attached or detached."""
    found = []
    for cmd in alter_commands(body):
        if cmd["subtype"] in ("AT_AttachPartition", "AT_DetachPartition"):
            referenced = _referenced_by(parent)
            partition = cmd["def"]["PartitionCmd"]
            concurrent = partition.get("concurrent")
            mode = LockMode.SHARE_UPDATE_EXCLUSIVE if concurrent else LockMode.ACCESS_EXCLUSIVE
            attach = cmd["subtype"] == "AT_AttachPartition"
            found.append(LockEffect(relation_name(partition["name"]), mode, scan=attach))
            found.extend(LockEffect(r, LockMode.SHARE_ROW_EXCLUSIVE) for r in referenced)
    return found


def _referenced_by(table: Table | None) -> list[str]:
    """The tables `table`'s foreign keys reference, sorted (read only for a partition
    command: a table altered thousands of times may hold thousands of keys)."""
    if table is None:
        return []
    constraints = table.constraints.values()
    return sorted({c.references for c in constraints if c.kind == "foreign" and c.references})


def _command_mode(cmd: dict) -> LockMode:
    subtype = cmd["subtype"]
    if subtype == "AT_AddConstraint":
        contype = unwrap(cmd["def"])[1]["contype"]
        if contype == "CONSTR_FOREIGN":
            return LockMode.SHARE_ROW_EXCLUSIVE
    if subtype == "AT_DetachPartition" and unwrap(cmd["def"])[1].get("concurrent"):
        return LockMode.SHARE_UPDATE_EXCLUSIVE
    return _ALTER_MODES.get(subtype, LockMode.ACCESS_EXCLUSIVE)


def _proven(table: Table | None, cmd: dict, known: _Known) -> bool:
    """SET NOT NULL without a scan: a validated CHECK (col IS NOT NULL) proves it (PG >= 12)."""
    return (
        cmd["subtype"] == "AT_SetNotNull"
        and known.version >= 120000
        and table is not None
        and table.proven_not_null(cmd["name"])
    )


def command_rewrites(cmd: dict, version: int) -> bool:
    """Whether one ALTER TABLE subcommand rewrites every row of the table."""
    subtype = cmd["subtype"]
    if subtype == "AT_AddColumn":
        return bool(column_rewrite_cause(unwrap(cmd["def"])[1], version))
    if subtype == "AT_AlterColumnType":
        return analyse(None, None, cmd, version).change is Change.REWRITE
    return subtype in _REWRITING_SUBTYPES


def column_rewrite_cause(column_def: dict, version: int) -> str:
    """Why adding this column rewrites the table, or empty if it does not."""
    if is_identity_column(column_def):
        return "a serial or identity column fills every row from a sequence"
    if stored_generated(column_def, version):
        return "a stored generated column is computed for every row"
    default = column_default(column_def)
    calls = volatile_calls(default)
    if calls:
        return f"the default calls {calls[0]}(), which is volatile: evaluated for every row"
    if default is not None and version < FAST_DEFAULT_VERSION and not _is_null(default):
        return "before PostgreSQL 11 any default is written into every row"
    return ""


def stored_generated(column_def: dict, version: int) -> bool:
    """A `GENERATED ALWAYS AS (…) STORED` column (before PostgreSQL 18 every generated
    column is stored; from 18 one without STORED is virtual)."""
    return any(
        c["contype"] == "CONSTR_GENERATED"
        and (c.get("generated_kind") != "v" or version < VIRTUAL_GENERATED_VERSION)
        for c in column_constraints(column_def)
    )


def is_identity_column(column_def: dict) -> bool:
    """A serial column or one `GENERATED … AS IDENTITY`."""
    return type_name(column_def.get("typeName", {})) in _SERIAL_TYPES or has_constraint(
        column_def, "CONSTR_IDENTITY"
    )


def _is_null(expr: dict) -> bool:
    return expr.get("A_Const", {}).get("isnull", False)


def _command_scans(cmd: dict) -> bool:
    subtype = cmd["subtype"]
    if subtype in ("AT_SetNotNull", "AT_ValidateConstraint"):
        return True
    if subtype == "AT_AddColumn":
        column = unwrap(cmd["def"])[1]
        checked = ("CONSTR_CHECK", "CONSTR_PRIMARY", "CONSTR_UNIQUE")
        if has_constraint(column, "CONSTR_DEFAULT"):
            checked += ("CONSTR_FOREIGN",)
        return any(c["contype"] in checked for c in column_constraints(column))
    if subtype == "AT_AddConstraint":
        constraint = unwrap(cmd["def"])[1]
        if constraint["contype"] in ("CONSTR_CHECK", "CONSTR_FOREIGN"):
            return not constraint.get("skip_validation", False)
        return not constraint.get("indexname")
    return False


def unchecked_new_columns(added: list[tuple[str, dict]]) -> set[str]:
    """Columns added without a DEFAULT clause (not even `DEFAULT NULL`): PostgreSQL does not
    scan to check a foreign key declared on them in the same ADD COLUMN."""
    return {
        cmd["def"]["ColumnDef"]["colname"]
        for _, cmd in added
        if not has_constraint(cmd["def"]["ColumnDef"], "CONSTR_DEFAULT")
    }


def _referenced_tables(cmd: dict) -> list[str]:
    if cmd["subtype"] == "AT_AddConstraint":
        constraints = [unwrap(cmd["def"])[1]]
    elif cmd["subtype"] == "AT_AddColumn":
        constraints = list(column_constraints(unwrap(cmd["def"])[1]))
    else:
        return []
    return [relation_name(c["pktable"]) for c in constraints if c["contype"] == "CONSTR_FOREIGN"]


def _create_table(body: dict, _known: _Known) -> list[LockEffect]:
    found = [LockEffect(relation_name(body["relation"]) + " (new)", LockMode.ACCESS_EXCLUSIVE)]
    for element in body.get("tableElts", []):
        kind, value = unwrap(element)
        constraints = [value] if kind == "Constraint" else list(column_constraints(value))
        found.extend(
            LockEffect(relation_name(c["pktable"]), LockMode.SHARE_ROW_EXCLUSIVE)
            for c in constraints
            if c.get("contype") == "CONSTR_FOREIGN"
        )
    return found


def _index(body: dict, _known: _Known) -> list[LockEffect]:
    mode = LockMode.SHARE_UPDATE_EXCLUSIVE if body.get("concurrent") else LockMode.SHARE
    return [LockEffect(relation_name(body["relation"]), mode, scan=True)]


_DROPPED_RELATIONS = {"OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE"}


def _drop(body: dict, known: _Known) -> list[LockEffect]:
    kind = body["removeType"]
    if kind == "OBJECT_INDEX":
        mode = (
            LockMode.SHARE_UPDATE_EXCLUSIVE if body.get("concurrent") else LockMode.ACCESS_EXCLUSIVE
        )
        return [LockEffect(known.index_table(name), mode) for name in object_names(body)]
    if kind in _DROPPED_RELATIONS:
        return [LockEffect(name, LockMode.ACCESS_EXCLUSIVE) for name in object_names(body)]
    return []


def _rename(body: dict, known: _Known) -> list[LockEffect]:
    if "relation" not in body:
        return []
    index = body["renameType"] == "OBJECT_INDEX" and known.version >= 120000
    mode = LockMode.SHARE_UPDATE_EXCLUSIVE if index else LockMode.ACCESS_EXCLUSIVE
    return [LockEffect(relation_name(body["relation"]), mode)]


def _relations(body: dict, mode: LockMode, **flags: bool) -> list[LockEffect]:
    return [
        LockEffect(relation_name(unwrap(r)[1]), mode, **flags) for r in body.get("relations", [])
    ]


def _vacuum(body: dict, _known: _Known) -> list[LockEffect]:
    full = any(unwrap(o)[1]["defname"] == "full" for o in body.get("options", []))
    mode = LockMode.ACCESS_EXCLUSIVE if full else LockMode.SHARE_UPDATE_EXCLUSIVE
    return [
        LockEffect(relation_name(unwrap(r)[1]["relation"]), mode, rewrite=full, scan=True)
        for r in body.get("rels", [])
    ]


def _reindex(body: dict, known: _Known) -> list[LockEffect]:
    concurrent = any(unwrap(p)[1]["defname"] == "concurrently" for p in body.get("params", []))
    mode = LockMode.SHARE_UPDATE_EXCLUSIVE if concurrent else LockMode.SHARE
    if "relation" not in body:
        return []
    name = relation_name(body["relation"])
    if body["kind"] == "REINDEX_OBJECT_INDEX":
        name = known.index_table(name)
    return [LockEffect(name, mode, scan=True)]


def _write(body: dict, _known: _Known) -> list[LockEffect]:
    scan = "whereClause" not in body
    return [LockEffect(relation_name(body["relation"]), LockMode.ROW_EXCLUSIVE, scan=scan)]


def _on_relation(mode: LockMode, **flags: bool) -> Callable[[dict, _Known], list[LockEffect]]:
    def reader(body: dict, _known: _Known) -> list[LockEffect]:
        return [LockEffect(relation_name(body["relation"]), mode, **flags)]

    return reader


# COMMENT ON locks the relation it describes SHARE UPDATE EXCLUSIVE (PostgreSQL's
# CommentObject): the relation itself, or the one a column, constraint, trigger, rule or
# policy belongs to (its name is the object's name without the last part).
_COMMENT_ON_RELATION = {
    "OBJECT_TABLE",
    "OBJECT_VIEW",
    "OBJECT_MATVIEW",
    "OBJECT_FOREIGN_TABLE",
    "OBJECT_SEQUENCE",
    "OBJECT_INDEX",
}
_COMMENT_ON_RELATION_PART = {
    "OBJECT_COLUMN",
    "OBJECT_TABCONSTRAINT",
    "OBJECT_TRIGGER",
    "OBJECT_RULE",
    "OBJECT_POLICY",
}


def _comment(body: dict, _known: _Known) -> list[LockEffect]:
    items = body.get("object", {}).get("List", {}).get("items", [])
    if body["objtype"] in _COMMENT_ON_RELATION:
        names = items
    elif body["objtype"] in _COMMENT_ON_RELATION_PART:
        names = items[:-1]
    else:
        return []
    return [LockEffect(dotted(names), LockMode.SHARE_UPDATE_EXCLUSIVE)] if names else []


_READERS: dict[str, Callable[[dict, _Known], list[LockEffect]]] = {
    "CommentStmt": _comment,
    "AlterTableStmt": _alter_table,
    "CreateStmt": _create_table,
    "IndexStmt": _index,
    "DropStmt": _drop,
    "RenameStmt": _rename,
    "TruncateStmt": lambda body, _k: _relations(body, LockMode.ACCESS_EXCLUSIVE, rewrite=True),
    "LockStmt": lambda body, _k: _relations(body, LockMode(body["mode"])),
    "VacuumStmt": _vacuum,
    "ClusterStmt": lambda body, v: (
        _on_relation(LockMode.ACCESS_EXCLUSIVE, rewrite=True, scan=True)(body, v)
        if "relation" in body
        else []
    ),
    "ReindexStmt": _reindex,
    "UpdateStmt": _write,
    "DeleteStmt": _write,
    "InsertStmt": _on_relation(LockMode.ROW_EXCLUSIVE),
    "CreateTrigStmt": _on_relation(LockMode.SHARE_ROW_EXCLUSIVE),
    "CreatePolicyStmt": lambda body, _k: [
        LockEffect(relation_name(body["table"]), LockMode.ACCESS_EXCLUSIVE)
    ],
    "RuleStmt": _on_relation(LockMode.ACCESS_EXCLUSIVE),
    "RefreshMatViewStmt": lambda body, k: _on_relation(
        LockMode.EXCLUSIVE if body.get("concurrent") else LockMode.ACCESS_EXCLUSIVE,
        rewrite=not body.get("concurrent"),
        scan=True,
    )(body, k),
}
