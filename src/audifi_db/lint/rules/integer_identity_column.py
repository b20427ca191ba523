"""A `serial` or identity column of type `integer` or `smallint`.

A column a sequence fills (`serial`, `GENERATED … AS IDENTITY`, `DEFAULT nextval(…)`) grows
with every insert. As `integer` it stops at 2,147,483,647 (`smallint`: 32,767): past that
every insert fails ("reached maximum value of sequence", or "integer out of range") until
the column is widened, and `integer` -> `bigint` rewrites the table and its indexes under
an ACCESS EXCLUSIVE lock (see `changing-column-type`), and each table whose foreign key
references it as well. Declare it `bigint GENERATED ALWAYS AS IDENTITY` from the start, as
AudiFi's tables do: 4 bytes more a row. A warning: a table that will never see two billion
inserts may acknowledge it. (squawk's `prefer-bigint-over-int` and
`prefer-bigint-over-smallint`, narrowed to the columns a sequence feeds: an `integer`
column a sequence does not feed, a foreign key to an `integer` key among them, is not
reported.)
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..column_types import ColumnType, column_type
from ..context import Context
from ..locks import is_identity_column
from ..model import Hit, Severity
from ..nodes import (
    alter_commands,
    column_default,
    dotted,
    location_of,
    relation_name,
    type_name,
)

ID = "integer-identity-column"
SEVERITY = Severity.WARNING
NODE_TYPES = ("CreateStmt", "AlterTableStmt:AT_AddColumn", "AlterTableStmt:AT_AddIdentity")

_LIMITS = {"int4": "2,147,483,647", "int2": "32,767"}
_NARROW = {"int4", "int2", "serial", "serial4", "smallserial", "serial2"}  # as parsed


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    for column, stored, at in _fed_columns(ctx, statement):
        limit = _LIMITS.get(stored.name)
        if limit is not None and not stored.array:
            table = relation_name(statement.body["relation"])
            yield Hit(
                f"{table}.{column} is {stored.sql} and fed by a sequence: inserts fail once it "
                f"passes {limit}, and widening it then rewrites {table}",
                f"{column} bigint GENERATED ALWAYS AS IDENTITY",
                at=at,
            )


def _fed_columns(
    ctx: Context, statement: Statement
) -> Iterator[tuple[str, ColumnType, int | None]]:
    """(name, stored type, location) of each column the statement makes sequence-fed."""
    body = statement.body
    if statement.node_type == "CreateStmt":
        elements = body.get("tableElts", ())
    else:
        elements = [c["def"] for c in alter_commands(body) if c["subtype"] == "AT_AddColumn"]
    for element in elements:
        column = element.get("ColumnDef")
        # the type first: most columns are not integers, and that is two dictionary lookups
        if column is None or type_name(column.get("typeName", {})) not in _NARROW:
            continue
        if is_identity_column(column) or _nextval_default(column):
            yield column["colname"], column_type(column["typeName"]).stored(), location_of(column)
    for cmd in alter_commands(body) if statement.node_type == "AlterTableStmt" else ():
        if cmd["subtype"] == "AT_AddIdentity":
            model_table = ctx.table(body["relation"])
            known = model_table.column(cmd["name"]) if model_table else None
            if known is not None:
                yield cmd["name"], known.type, location_of(cmd["def"])


def _nextval_default(column: dict) -> bool:
    default = column_default(column)
    call = default.get("FuncCall") if default else None
    return call is not None and dotted(call["funcname"]).removeprefix("pg_catalog.") == "nextval"
