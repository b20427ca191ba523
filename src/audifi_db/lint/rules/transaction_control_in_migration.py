"""`BEGIN`, `COMMIT`, `ROLLBACK` or `SAVEPOINT` in a migration.

audifi-db runs each migration in one transaction and records it in the history in that
same transaction. A `COMMIT` in the file ends that transaction early: a later failure
leaves half the migration applied and unrecorded. In a `-- audifi-db: no-transaction`
migration each statement already commits on its own, and a concurrent build wrapped in
`BEGIN … COMMIT` fails ("cannot run inside a transaction block"). `deploy` refuses either
before anything runs. Remove the statement; to commit in steps inside one statement, use a
`DO` block in a no-transaction migration.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement, no_transaction_reason
from ..context import Context
from ..model import Hit, Severity
from .missing_no_transaction_directive import DIRECTIVE

ID = "transaction-control-in-migration"
SEVERITY = Severity.ERROR
NODE_TYPES = ("TransactionStmt",)
_OPENING = {"TRANS_STMT_BEGIN", "TRANS_STMT_START"}


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    kind = statement.body["kind"]
    words = kind.removeprefix("TRANS_STMT_").replace("_", " ")
    if ctx.transactional:
        yield Hit(
            f"{words} inside a migration that audifi-db already runs in a transaction",
            f"-- remove it, or add to the migration's leading comment lines:\n{DIRECTIVE}",
        )
        return
    wrapped = _wrapped_concurrent(ctx, statement) if kind in _OPENING else None
    yield Hit(
        f"{wrapped} inside {words} … COMMIT fails: it cannot run in a transaction block"
        if wrapped
        else f"{words} in a no-transaction migration, whose statements each commit on their own",
        "-- remove BEGIN/COMMIT: each statement of this migration runs and commits alone",
    )


def _wrapped_concurrent(ctx: Context, statement: Statement) -> str | None:
    for later in ctx.later_statements(statement):
        if later.node_type == "TransactionStmt":
            return None
        reason = no_transaction_reason(later)
        if reason:
            return reason
    return None
