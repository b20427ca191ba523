"""`BEGIN`, `COMMIT`, `ROLLBACK` or `SAVEPOINT` inside a transactional migration.

audifi-db runs each migration in one transaction and records it in the history in that
same transaction. A `COMMIT` in the file ends that transaction early: a later failure
leaves half the migration applied and unrecorded. Remove the statement; if the migration
must commit in steps, mark it `-- audifi-db: no-transaction`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity

ID = "transaction-control-in-migration"
SEVERITY = Severity.ERROR
NODE_TYPES = ("TransactionStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    if ctx.transactional:
        kind = statement.body["kind"].removeprefix("TRANS_STMT_").replace("_", " ")
        yield Hit(
            f"{kind} inside a migration that audifi-db already runs in a transaction",
            "-- remove it, or make this the migration's first line:\n-- audifi-db: no-transaction",
        )
