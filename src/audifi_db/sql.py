"""SQL text -> statements with their place in the file, via pglast (PostgreSQL's own parser).

Pure code: no I/O. Comments, string literals and dollar-quoted bodies are handled by the
parser itself, so a `;` inside them never splits a statement.

Each statement carries its parse tree as plain dicts (pglast's JSON form, which is several
times cheaper to build than pglast's node objects). Node locations in that tree are byte
offsets into the whole file's UTF-8 encoding; `Statement.position_of` turns one into a
line and column.
"""

from __future__ import annotations

import bisect
import functools
import json
import sys
from typing import NamedTuple

from pglast import parser as _parser

from .errors import SqlSyntaxError
from .model import IndexBuild, RunStatement


class Statement(NamedTuple):
    """One SQL statement of a file (a named tuple: cheap to create, at import and per
    statement)."""

    index: int
    text: str
    line: int
    column: int
    node_type: str
    node: dict
    byte_start: int = 0
    source: SourceText | None = None
    inside: str = ""  # for a statement inside a DO block: "DO block" or "EXECUTE"

    def position_of(self, byte_location: int) -> tuple[int, int]:
        """Line and column (1-based) of a node location (a byte offset in the file)."""
        assert self.source is not None
        return self.source.position(byte_location)

    @property
    def body(self) -> dict:
        """The statement's node without its type wrapper, e.g. IndexStmt's fields."""
        return self.node[self.node_type]


class SourceText:
    """Maps byte offsets of a file's UTF-8 encoding to 1-based lines and columns."""

    def __init__(self, text: str, line_offset: int = 0) -> None:
        self.text = text
        self.line_offset = line_offset  # for text that starts further down a file
        self.encoded = text.encode("utf-8")
        self._line_starts = [0]
        start = self.encoded.find(b"\n")
        while start != -1:
            self._line_starts.append(start + 1)
            start = self.encoded.find(b"\n", start + 1)

    def position(self, byte_offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, byte_offset)
        line_start = self._line_starts[line - 1]
        column = len(self.encoded[line_start:byte_offset].decode("utf-8", "replace")) + 1
        return line + self.line_offset, column


def parse(text: str, path: str = "<sql>", *, first_line: int = 1) -> list[Statement]:
    """Split and parse `text`; raise SqlSyntaxError with the line and column of the error.

    One parse gives both the trees and each statement's byte range (stmt_location and
    stmt_len); a range starts after the previous `;`, so its leading blanks and comments are
    skipped to find where the statement itself begins.
    """
    try:
        tree = json.loads(_parser.parse_sql_json(text))
    except _parser.ParseError as exc:
        message, char_offset = exc.args
        line, column = _char_position(text, char_offset)
        raise SqlSyntaxError(path, line + first_line - 1, column, message) from None
    source = SourceText(text, first_line - 1)
    encoded = source.encoded
    statements = []
    for index, raw in enumerate(tree["stmts"]):
        node = raw["stmt"]
        location = raw.get("stmt_location", 0)
        end = location + raw["stmt_len"] if raw.get("stmt_len") else len(encoded)
        start = skip_trivia(encoded, location, end)
        line, column = source.position(start)
        statement_text = encoded[start:end].decode("utf-8").rstrip()
        if not raw.get("stmt_len") and ("--" in statement_text or "/*" in statement_text):
            # the last statement runs to the end of the file, trailing comments included
            statement_text = _without_trailing_comments(statement_text)
        statements.append(
            Statement(index, statement_text, line, column, next(iter(node)), node, start, source)
        )
    return statements


def _without_trailing_comments(text: str) -> str:
    tokens = [t for t in _parser.scan(text) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
    return text[: tokens[-1].end + 1] if tokens else text


def skip_trivia(data: bytes, start: int, end: int) -> int:
    """The offset of the first byte in data[start:end] that is not blank or a comment."""
    i = start
    while i < end:
        if data[i] in b" \t\r\n\f\v":
            i += 1
        elif data.startswith(b"--", i):
            newline = data.find(b"\n", i, end)
            i = end if newline == -1 else newline + 1
        elif data.startswith(b"/*", i):
            i = _block_comment_end(data, i, end)
        else:
            break
    return i


def _block_comment_end(data: bytes, i: int, end: int) -> int:
    """Past the block comment opening at i; PostgreSQL's block comments nest."""
    depth = 0
    while i < end:
        if data.startswith(b"/*", i):
            depth, i = depth + 1, i + 2
        elif data.startswith(b"*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return end


def _char_position(text: str, char_offset: int) -> tuple[int, int]:
    """1-based line and column of a 0-based character offset (pglast's parse errors)."""
    char_offset = max(0, min(char_offset, len(text)))
    before = text[:char_offset]
    line = before.count("\n") + 1
    return line, char_offset - (before.rfind("\n") + 1) + 1


def no_transaction_reason(statement: Statement) -> str | None:
    """Why this statement cannot run inside a transaction block, or None if it can."""
    kind, body = statement.node_type, statement.body
    if kind == "DoStmt":
        block = do_block(statement)
        return f"a DO block that runs {block.commits[0][1]}" if block and block.commits else None
    if kind == "IndexStmt" and body.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if kind == "DropStmt" and body.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if kind == "ReindexStmt" and _has_option(body.get("params", []), "concurrently"):
        return "REINDEX CONCURRENTLY"
    if kind == "AlterTableStmt" and any(
        cmd.get("AlterTableCmd", {}).get("subtype") == "AT_DetachPartition"
        and cmd["AlterTableCmd"].get("def", {}).get("PartitionCmd", {}).get("concurrent")
        for cmd in body.get("cmds", [])
    ):
        return "DETACH PARTITION CONCURRENTLY"
    if kind == "VacuumStmt" and body.get("is_vacuumcmd"):
        return "VACUUM"
    return _ALWAYS_OUTSIDE_TRANSACTION.get(kind)


_ALWAYS_OUTSIDE_TRANSACTION = {
    "AlterSystemStmt": "ALTER SYSTEM",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
    "CreateSubscriptionStmt": "CREATE SUBSCRIPTION",
}


def _has_option(params: list[dict], name: str) -> bool:
    return any(p.get("DefElem", {}).get("defname") == name for p in params)


def is_transaction_control(statement: Statement) -> bool:
    """BEGIN, COMMIT, ROLLBACK, SAVEPOINT…: they would break a migration's own transaction."""
    return statement.node_type == "TransactionStmt"


def run_statement(statement: Statement) -> RunStatement:
    """What the planner and the runner keep of a parsed statement (the tree is dropped)."""
    return RunStatement(
        index=statement.index,
        text=statement.text,
        line=statement.line,
        kind=sys.intern(statement.node_type),  # one string per kind, not per statement
        no_transaction_reason=no_transaction_reason(statement),
        concurrent_index=concurrent_index(statement),
        changes_session=changes_session(statement),
        relations=named_relations(statement),
        creates_schemas=created_schemas(statement),
    )


def created_schemas(statement: Statement) -> tuple[str, ...]:
    """The schemas a statement creates: a CREATE SCHEMA's (named, or after the role it is
    AUTHORIZATION of), or those of the CREATE SCHEMAs its DO block runs (written out, or by
    EXECUTE of a constant string). What `reset` drops for the migrations to create again."""
    names = []
    for inner in expand(statement):
        if inner.node_type == "CreateSchemaStmt":
            body = inner.body
            name = body.get("schemaname") or body.get("authrole", {}).get("rolename")
            if name:
                names.append(name)
    return tuple(names)


def named_relations(statement: Statement) -> tuple[tuple[str | None, str], ...]:
    """(schema, name) of the relations a statement names as its targets: the table of an
    ALTER TABLE, CREATE INDEX (and the index itself), INSERT, UPDATE, DELETE, CLUSTER,
    REINDEX; every table of TRUNCATE, LOCK, VACUUM. What the runner measures before and
    after the migration; relations reached otherwise (a function body, a cascade) are not."""
    body = statement.body
    found = [body.get("relation")]
    found += [item.get("RangeVar") for item in body.get("relations", ())]
    found += [item.get("VacuumRelation", {}).get("relation") for item in body.get("rels", ())]
    names = [(r.get("schemaname"), r["relname"]) for r in found if r and "relname" in r]
    if statement.node_type == "IndexStmt" and body.get("idxname") and names:
        names.append((names[0][0], body["idxname"]))
    return tuple(dict.fromkeys(names))


def concurrent_index(statement: Statement) -> IndexBuild | None:
    """The index a CREATE INDEX CONCURRENTLY builds, if it names one: what a failed build
    leaves INVALID, for the runner to heal."""
    body = statement.body
    if statement.node_type != "IndexStmt" or not body.get("concurrent") or not body.get("idxname"):
        return None
    relation = body["relation"]
    return IndexBuild(relation.get("schemaname"), relation["relname"], body["idxname"])


def changes_session(statement: Statement) -> bool:
    """A SET (not SET LOCAL), RESET or SET ROLE: its effect outlives the transaction."""
    return statement.node_type == "VariableSetStmt" and not statement.body.get("is_local")


class Embedded(NamedTuple):
    """A SQL statement inside a DO block: its text, its line in the file, and whether it is
    a constant string run by EXECUTE."""

    text: str
    line: int
    dynamic: bool = False


class DoBlock(NamedTuple):
    """What a PL/pgSQL DO block runs: its SQL statements and its COMMITs / ROLLBACKs."""

    statements: list[Embedded]
    commits: list[tuple[int, str]]


def do_block(statement: Statement) -> DoBlock | None:
    """The SQL a `DO` block runs, read with PL/pgSQL's own parser (via pglast); None for
    another language or a body that does not parse. `EXECUTE` counts when its argument is
    a constant string (or constants joined by `||`). Read once per block (the linter and
    the transaction check both ask)."""
    if statement.node_type != "DoStmt" or _do_language(statement.body) != "plpgsql":
        return None
    return _read_do_block(statement.text, statement.line)


@functools.lru_cache(maxsize=256)
def _read_do_block(text: str, first_line: int) -> DoBlock | None:
    try:
        functions = json.loads(_parser.parse_plpgsql_json(text))
    except _parser.ParseError:
        return None
    block = DoBlock([], [])
    stack: list = [functions]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            _read_plpgsql(node, first_line, block)
            stack.extend(reversed(list(node.values())))
    block.statements.sort(key=lambda e: e.line)
    block.commits.sort()
    return block


def expand(statement: Statement) -> list[Statement]:
    """The statement, then the SQL statements its DO block runs (if it is one), in order.

    An embedded statement keeps the index of its DO statement (so an allow comment above
    the DO block acknowledges its findings), gets the line it has in the file, and says how
    it runs (`inside`: "DO block", or "EXECUTE" of a constant string). The linter checks
    them like any other statement; the planner refuses what can never run there."""
    block = do_block(statement)
    if block is None:
        return [statement]
    found = [statement]
    for embedded in block.statements:
        try:
            inner = parse(embedded.text, first_line=embedded.line)
        except SqlSyntaxError:
            continue  # PL/pgSQL variables may make a statement that is not SQL alone
        inside = "EXECUTE" if embedded.dynamic else "DO block"
        found.extend(s._replace(index=statement.index, inside=inside) for s in inner)
    return found


def never_from_a_function(statement: Statement) -> str | None:
    """For a statement a DO block runs: what it is when PostgreSQL refuses it there, else
    None. A statement that cannot run inside a transaction block (CREATE INDEX
    CONCURRENTLY, VACUUM, …) cannot be executed from a function either: not even a
    no-transaction migration can run it from a DO block. (A nested DO block that commits
    is another matter: transaction control, which the directive is for.)"""
    if not statement.inside or statement.node_type == "DoStmt":
        return None
    return no_transaction_reason(statement)


def _do_language(body: dict) -> str:
    for arg in body.get("args", []):
        element = arg["DefElem"]
        if element["defname"] == "language":
            return element["arg"]["String"]["sval"]
    return "plpgsql"


def _read_plpgsql(node: dict, first_line: int, block: DoBlock) -> None:
    for kind, value in node.items():
        if not isinstance(value, dict):
            continue
        line = first_line + value.get("lineno", 1) - 1
        if kind == "PLpgSQL_stmt_execsql":
            block.statements.append(Embedded(value["sqlstmt"]["PLpgSQL_expr"]["query"], line))
        elif kind == "PLpgSQL_stmt_dynexecute":
            text = _constant_string(value["query"]["PLpgSQL_expr"]["query"])
            if text is not None:
                block.statements.append(Embedded(text, line, dynamic=True))
        elif kind in ("PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"):
            block.commits.append((line, kind.rpartition("_")[2].upper()))


def _constant_string(expression: str) -> str | None:
    """The value of a SQL expression made only of string constants and `||`."""
    try:
        tree = json.loads(_parser.parse_sql_json(f"SELECT {expression}"))
    except _parser.ParseError:
        return None
    return _constant_value(
        tree["stmts"][0]["stmt"]["SelectStmt"]["targetList"][0]["ResTarget"]["val"]
    )


def _constant_value(node: dict) -> str | None:
    if "A_Const" in node:
        value = node["A_Const"].get("sval")
        return value["sval"] if value is not None else None
    expr = node.get("A_Expr")
    if expr and expr["kind"] == "AEXPR_OP" and expr["name"][0]["String"]["sval"] == "||":
        left, right = _constant_value(expr["lexpr"]), _constant_value(expr["rexpr"])
        return left + right if left is not None and right is not None else None
    return None
