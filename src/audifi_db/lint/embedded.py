"""Code inside code: the SQL a `DO` block runs, as statements the linter checks like any
other (`sql.do_block` reads the PL/pgSQL body with PostgreSQL's own parser).

Pure code. An embedded statement keeps the index of its DO statement (so an allow comment
above the DO block acknowledges its findings) and the line it has in the file.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import SqlSyntaxError
from ..sql import Statement, do_block, parse


def expand(statement: Statement) -> list[Statement]:
    """The statement, then the statements of its DO block (if it is one), in order."""
    if statement.node_type != "DoStmt":
        return [statement]
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
        found.extend(replace(s, index=statement.index, inside=inside) for s in inner)
    return found
