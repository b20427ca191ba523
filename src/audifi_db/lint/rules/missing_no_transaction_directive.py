"""A statement that cannot run in a transaction, in a transactional migration.

`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX CONCURRENTLY`, `DETACH
PARTITION CONCURRENTLY`, `VACUUM` and a few others fail inside a transaction block, and
audifi-db runs every migration in one unless its leading comment lines say
`-- audifi-db: no-transaction`. Add the directive (and keep such migrations re-runnable:
see `not-rerunnable`).
"""

from __future__ import annotations

from collections.abc import Iterator

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
)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    reason = no_transaction_reason(statement) if ctx.transactional else None
    if reason:
        yield Hit(
            f"{reason} cannot run inside the transaction audifi-db wraps this migration in",
            "-- audifi-db: no-transaction\n-- (as the first line of this migration file)",
        )
