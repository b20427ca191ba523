"""A statement that cannot run in a transaction, in a transactional migration.

`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX CONCURRENTLY`, `DETACH
PARTITION CONCURRENTLY`, `VACUUM` and a few others fail inside a transaction block, and so
does a `DO` block that runs `COMMIT` or `ROLLBACK` (SQLSTATE 2D000). audifi-db runs every
migration in one transaction unless its leading comment lines — the comment lines before
the first statement — hold the directive `-- audifi-db: no-transaction`. Add the directive
(and keep such migrations re-runnable: see `not-rerunnable`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...model import NO_TRANSACTION_DIRECTIVE, NO_TRANSACTION_WHERE
from ...sql import Statement, no_transaction_reason
from ..context import Context
from ..model import Hit, Severity

ID = "missing-no-transaction-directive"
SEVERITY = Severity.ERROR
NODE_TYPES = (
    "IndexStmt",
    "DropStmt",
    "ReindexStmt",
    "AlterTableStmt",
    "VacuumStmt",
    "AlterSystemStmt",
    "CreatedbStmt",
    "DropdbStmt",
    "CreateTableSpaceStmt",
    "DropTableSpaceStmt",
    "CreateSubscriptionStmt",
    "DoStmt",
)
DIRECTIVE = NO_TRANSACTION_DIRECTIVE
WHERE = NO_TRANSACTION_WHERE  # the rule said one way everywhere (model.NO_TRANSACTION_RULE)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    if not ctx.transactional or statement.inside:
        return  # a statement inside a DO block: see non-transactional-statement-in-do-block
    reason = no_transaction_reason(statement)
    if reason:
        yield Hit(
            f"{reason} cannot run inside the transaction audifi-db wraps this migration in",
            f"{DIRECTIVE}\n-- ({WHERE})",
        )
