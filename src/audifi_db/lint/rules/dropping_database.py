"""`DROP DATABASE`.

`DROP DATABASE` removes a whole database, every table and row in it, and cannot be undone.
PostgreSQL refuses to drop the database a session is connected to, so the one a migration
drops is always another database than the one it migrates: not a migration's business.
Inside a transaction it fails (see `missing-no-transaction-directive`); in a
`-- audifi-db: no-transaction` migration it runs. Drop a database by hand, or a local one
with `audifi-db db drop`, which asks first and is refused for staging and production.
(squawk's `ban-drop-database`.)
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity

ID = "dropping-database"
SEVERITY = Severity.ERROR
NODE_TYPES = ("DropdbStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    name = statement.body["dbname"]
    yield Hit(
        f"DROP DATABASE removes {name} and everything in it, for good",
        f"-- drop {name} by hand, outside migrations (or `audifi-db db drop` for a local one)",
    )
