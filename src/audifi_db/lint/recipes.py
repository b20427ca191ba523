"""Safe recipes as SQL, shared by the rules that recommend them. Pure text building."""

from __future__ import annotations

from ..identifiers import fit

BATCH_ROWS = 10000


def batched(table: str, change: str, remaining: str) -> str:
    """A Python migration that applies `change` (an UPDATE … SET … or a DELETE FROM …) to the
    rows matching `remaining`, one short transaction per BATCH_ROWS rows, resumable."""
    header = (
        "# db/migrations/<version>_<name>.py, a Python migration (see the README): one short\n"
        f"# transaction per batch of {BATCH_ROWS:,} rows; run again, it skips the rows done\n"
        "def migrate(ctx):\n"
    )
    update = f"UPDATE {table} SET "
    if change.startswith(update):
        assignments = change[len(update) :]
        return header + (f'    ctx.backfill("{table}", set="{assignments}", where="{remaining}")')
    return header + (
        f'    while ctx.execute(\n        "{change} WHERE ctid IN '
        f'(SELECT ctid FROM {table} WHERE {remaining} LIMIT {BATCH_ROWS})"\n    ):\n'
        "        pass"
    )


def required_column(table: str, column: str, sql_type: str) -> str:
    """The seed's three migrations for a required column."""
    return f"""-- `audifi-db new NAME --template add-required-column --table {table} --column {column} \\
--    --type {sql_type} --default EXPR` writes these steps, each its own migration:
-- migration 1: add the column nullable (a constant default is fine)
ALTER TABLE {table} ADD COLUMN {column} {sql_type};
-- migration 2: backfill in batches
{batched(table, f"UPDATE {table} SET {column} = <value>", f"{column} IS NULL")}
-- migration 3:
{not_null(table, column)}"""


def not_null(table: str, column: str, *, set_not_null: bool = True) -> str:
    """A validated `CHECK (col IS NOT NULL)`, and SET NOT NULL proven by it (PostgreSQL >= 12
    skips the scan), in a no-transaction migration so VALIDATE runs without the ADD's lock."""
    check = fit(f"{table.rpartition('.')[2]}_{column}_not_null")
    steps = [
        "-- audifi-db: no-transaction",
        f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check};  -- re-runnable",
        f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;",
        f"ALTER TABLE {table} VALIDATE CONSTRAINT {check};",
    ]
    if set_not_null:
        steps.append(f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;")
        steps.append(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check};")
    return "\n".join(steps)


def concurrently(statement: str) -> str:
    """A concurrent statement in its own no-transaction migration."""
    return f"-- audifi-db: no-transaction\n{statement};"


def two_releases(what: str, statement: str) -> str:
    """Stop using something, deploy, remove it in the next release."""
    return f"""-- release N: deploy code that no longer uses {what}
-- release N+1, in a new migration:
{statement};"""
