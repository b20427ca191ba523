"""The model facts a verdict rests on, in words (`lint --explain`, and rule messages).

Pure code: reads the model before the statement runs.
"""

from __future__ import annotations

from ..sql import Statement
from .column_types import Change
from .nodes import alter_commands, walk
from .schema import LIVE, UNKNOWN, SchemaModel, Table
from .type_changes import analyse


def origin(path: str) -> str:
    return "the live database" if path == LIVE else path


def table_fact(schema: SchemaModel, table: Table) -> str:
    if schema.is_new_table(table):
        if table.origin == schema.path:
            return f"{table.name} is new: created earlier in this migration"
        return f"{table.name} is new: created in {table.origin}, in this run"
    if table.origin == UNKNOWN:
        return f"{table.name} exists (not created by the migrations read); columns unknown"
    size = table.size() or "size unknown"
    return f"{table.name} exists (from {origin(table.origin)}), {size}"


def facts(statement: Statement, schema: SchemaModel, server_version: int) -> list[str]:
    """What the model knew about the relations and columns this statement touches."""
    found: list[str] = []
    seen: set[str] = set()
    for node in walk(statement.body):
        if "relname" in node and "location" in node:
            table = schema.table(node)
            name = table.name if table else node["relname"]
            if name in seen:
                continue
            seen.add(name)
            found.append(table_fact(schema, table) if table else f"{name}: not in the model")
    if statement.node_type == "AlterTableStmt" and "relation" in statement.body:
        found.extend(_type_change_facts(statement, schema, server_version))
    if schema.session.search_path != schema.base_session.search_path:
        found.append(f"search_path: {', '.join(schema.session.search_path)}")
    return found


def _type_change_facts(statement: Statement, schema: SchemaModel, version: int) -> list[str]:
    table = schema.table(statement.body["relation"])
    found = []
    for cmd in alter_commands(statement.body):
        if cmd["subtype"] != "AT_AlterColumnType":
            continue
        change = analyse(schema, table, cmd, version)
        found.append(describe_type_change(table, cmd["name"], change))
    return found


def describe_type_change(table: Table | None, column: str, change) -> str:
    """`plays.count is integer since 2026…_plays.sql; -> text rewrites the table (why)`."""
    name = f"{table.short}.{column}" if table else column
    if change.old is None:
        return f"{name}: old type unknown; -> {change.new.sql} {change.change} (assumed)"
    head = f"{name} is {change.old.type.sql} since {origin(change.old.since)}; -> {change.new.sql}"
    if change.change is not Change.SCAN:
        return f"{head} {change.change} ({change.why})"
    work = [f"rebuilds index {i}" for i in change.rebuilt_indexes]
    work += [f"re-checks {c}" for c in change.rechecked]
    return f"{head} keeps the rows ({change.why}) but {' and '.join(work)}, scanning the table"
