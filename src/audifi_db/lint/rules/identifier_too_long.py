"""A name longer than 63 bytes, which PostgreSQL silently truncates.

PostgreSQL keeps the first 63 bytes of an identifier (NAMEDATALEN - 1) and drops the rest
with only a NOTICE, so the table, column, index or constraint gets another name than the
one written: code, tools and error handlers that look for the written name (a unique
violation reports the truncated constraint name) do not find it. Two long names that share
their first 63 bytes are the same name: the second `CREATE` fails with "already exists",
and with `IF NOT EXISTS` it silently does nothing, so the index or table it meant is never
built. Name it in 63 bytes or fewer. (squawk's `identifier-too-long`.)
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import parser

from ...identifiers import MAX_BYTES
from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import alter_commands

ID = "identifier-too-long"
SEVERITY = Severity.WARNING
NODE_TYPES = (
    "CreateStmt",
    "IndexStmt",
    "ViewStmt",
    "CreateTableAsStmt",
    "CreateSeqStmt",
    "RenameStmt",
    "CreateTrigStmt",
    "CreateSchemaStmt",
    "AlterTableStmt:AT_AddColumn",
    "AlterTableStmt:AT_AddConstraint",
)

# A truncated name is 63 bytes, or down to 60 when the cut falls inside a UTF-8 character.
_TRUNCATED_MIN = MAX_BYTES - 3
_MIN_CHARS = _TRUNCATED_MIN // 4  # a UTF-8 character is 4 bytes at most
# The ALTER TABLE subcommands that give names, and where the one name of the other
# statements is in their parse tree.
_ADDING = ("AT_AddColumn", "AT_AddConstraint")
_NAME_PATHS = {
    "IndexStmt": ("idxname",),
    "RenameStmt": ("newname",),
    "CreateTrigStmt": ("trigname",),
    "CreateSchemaStmt": ("schemaname",),
    "CreateSeqStmt": ("sequence", "relname"),
    "ViewStmt": ("view", "relname"),
    "CreateTableAsStmt": ("into", "rel", "relname"),
}


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    kept = {
        n
        for n in _names_given(statement)
        if len(n) >= _MIN_CHARS and len(n.encode()) >= _TRUNCATED_MIN
    }
    if not kept:
        return
    for start, written in _identifiers(statement.text):
        name = truncated(written)
        if name == written or name not in kept:
            continue
        yield Hit(
            f"the name written is {len(written.encode())} bytes and PostgreSQL keeps the "
            f'first {MAX_BYTES}: it is "{name}"',
            f"-- a name of at most {MAX_BYTES} bytes",
            at=statement.byte_start + len(statement.text[:start].encode()),
        )


def truncated(identifier: str) -> str:
    """The identifier as PostgreSQL stores it: its first 63 bytes, not cutting a character."""
    return identifier.encode()[:MAX_BYTES].decode("utf-8", "ignore")


def _identifiers(text: str) -> Iterator[tuple[int, str]]:
    """(offset in `text`, identifier as PostgreSQL reads it) of each identifier token."""
    for token in parser.scan(text):
        if token.name != "IDENT":
            continue
        raw = text[token.start : token.end + 1]
        if raw.startswith('"'):
            yield token.start, raw[1:-1].replace('""', '"')
        else:
            yield token.start, raw.lower()


def _names_given(statement: Statement) -> list[str]:
    """The names this statement gives to what it creates or renames."""
    kind, body = statement.node_type, statement.body
    if kind == "AlterTableStmt":
        added = [c["def"] for c in alter_commands(body) if c["subtype"] in _ADDING]
        return _element_names(added)
    if kind == "CreateStmt":
        return [body["relation"]["relname"], *_element_names(body.get("tableElts", ()))]
    found = body
    for key in _NAME_PATHS[kind]:
        found = found.get(key) or {}
    return [found] if isinstance(found, str) else []


def _element_names(elements) -> list[str]:
    """Column and constraint names of a table's elements (or ALTER TABLE's added ones)."""
    names = []
    for element in elements:
        column = element.get("ColumnDef")
        if column is not None:
            names.append(column["colname"])
            for wrapped in column.get("constraints", ()):
                if "conname" in wrapped["Constraint"]:
                    names.append(wrapped["Constraint"]["conname"])
        elif "conname" in element.get("Constraint", ()):
            names.append(element["Constraint"]["conname"])
    return names
