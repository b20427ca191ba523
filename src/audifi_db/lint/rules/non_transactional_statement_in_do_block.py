"""A statement that cannot run in a transaction, run by a `DO` block.

`CREATE INDEX CONCURRENTLY`, `VACUUM`, `REINDEX CONCURRENTLY` and the like refuse to run
from a function: inside a `DO` block (by `EXECUTE` of a constant string or written out)
they fail with "cannot be executed from a function", even in a
`-- audifi-db: no-transaction` migration. Make the statement a top-level statement of a
no-transaction migration. The linter reads DO blocks with PL/pgSQL's own parser; a
statement built at run time (`EXECUTE format(…)`) is not seen.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement, never_from_a_function
from ..context import Context
from ..model import Hit, Severity
from .missing_no_transaction_directive import DIRECTIVE, WHERE
from .missing_no_transaction_directive import NODE_TYPES as _KINDS

ID = "non-transactional-statement-in-do-block"
SEVERITY = Severity.ERROR
NODE_TYPES = tuple(kind for kind in _KINDS if kind != "DoStmt")


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    reason = never_from_a_function(statement)
    if reason:
        yield Hit(
            f"{reason} cannot be executed from a function, even in a no-transaction migration",
            f"-- a migration of its own, the directive {WHERE}:\n{DIRECTIVE}\n{statement.text};",
        )
