"""The steps of each template as migration text: `templates.drafts` asks for them. Pure.

Each step is its own migration with a header saying which step of which template it is and
what it locks; a step is made before its place is known (`Step`), then numbered.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .identifiers import fit
from .lint.recipes import not_null
from .lint.schema import sql_name
from .online import BATCH_SIZE

if TYPE_CHECKING:
    from .carry import Carried
    from .templates import Request

NO_TRANSACTION = "-- audifi-db: no-transaction\n"


@dataclass(frozen=True)
class Draft:
    """One migration to write: `<version>_<NAME>_<step><suffix>`. `sql` is what must parse
    (the text of a SQL migration; what a backfill will run, for a Python one)."""

    step: str
    suffix: str
    text: str
    sql: str = ""


# A step before it knows its place: (request, its number, how many) -> its migration.
Step = Callable[["Request", int, int], Draft]


def name(*parts: str) -> str:
    """A constraint, trigger or function name from parts, within PostgreSQL's 63 bytes."""
    return fit("_".join(parts))


def _base(table: str) -> str:
    return table.rpartition(".")[2]


def _title(request: Request, number: int, total: int) -> str:
    phase = " --phase contract" if request.phase == "contract" else ""
    subject = f"{request.table}.{request.column or request.from_}"
    return f"Step {number} of {total} of `audifi-db new --template {request.template}{phase}` on {subject}."


def _header(request: Request, number: int, total: int, what: str) -> str:
    lines = textwrap.wrap(f"{_title(request, number, total)} {what}", 92)
    return "".join(f"-- {line}\n" for line in lines)


def _sql(step: str, what: str, body: str, *, no_transaction: bool = False) -> Step:
    """A SQL migration: its header says which step it is and `what` it does."""

    def make(request: Request, number: int, total: int) -> Draft:
        directive = NO_TRANSACTION if no_transaction else ""
        return Draft(step, ".sql", directive + _header(request, number, total, what) + body)

    return make


def _python(what: str, call: str, sql: str) -> Step:
    """The `backfill` step, a Python migration: `call` is the body of its migrate(ctx)."""

    def make(request: Request, number: int, total: int) -> Draft:
        doc = "\n\n".join(
            textwrap.fill(paragraph, 92)
            for paragraph in f"{_title(request, number, total)} {what}".split("\n\n")
        )
        return Draft("backfill", ".py", f'"""{doc}\n"""\n\n\ndef migrate(ctx):\n{call}', sql)

    return make


def _python_string(text: str) -> str:
    return f'"{text}"' if not set(text) & {'"', "\\", "\n"} else repr(text)


def _backfill(table: str, set_: str, where: str) -> Step:
    call = (
        f"    ctx.backfill(\n        {_python_string(table)},\n        set={_python_string(set_)},\n"
        f"        where={_python_string(where)},\n    )\n"
    )
    what = (
        f"Fills the rows there are in batches of {BATCH_SIZE:,} by primary key, one short "
        "transaction each. Run again (after a crash, a kill, a lost connection), it skips the "
        "rows already done."
    )
    return _python(what, call, f"UPDATE {table} SET {set_} WHERE {where}")


def _no_rows_to_fill(table: str, column: str) -> Step:
    """Without a value for the rows there are: stop the deploy if there are any."""
    check = (
        f"DO $$BEGIN IF EXISTS (SELECT FROM {table} WHERE {column} IS NULL) THEN RAISE "
        f"EXCEPTION '{table} has rows without {column} and the template was given no value "
        "for them: fill them in the migration that stopped (its docstring says how), then "
        "deploy again'; END IF; END$$"
    )
    what = (
        "No value was given for the rows there are (--default or --backfill): this step "
        f"stops the deploy, before the check that requires a value, if {table} has rows "
        f"without {column}. To fill them, make the body of migrate:\n\n"
        f'    ctx.backfill("{table}", set="{column} = <value>", where="{column} IS NULL")'
    )
    return _python(what, f"    ctx.execute(\n        {_python_string(check)}\n    )\n", check)


def add_required_column(r: Request) -> list[Step]:
    table, column = r.table, r.column
    check = name(_base(table), column, "not_null")
    add = f"ALTER TABLE {table} ADD COLUMN {column} {r.type};\n"
    if r.default:
        add += f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {r.default};\n"
        new_rows = "New rows get the default from now on"
    else:
        new_rows = "New rows must give it a value once step 3 adds the check"
    value = r.backfill or r.default
    return [
        _sql(
            "add_column",
            f"Adds the column nullable: no rewrite, no scan. {new_rows}; the next step fills "
            "the rows there are.",
            add,
        ),
        _backfill(table, f"{column} = {value}", f"{column} IS NULL")
        if value
        else _no_rows_to_fill(table, column),
        _sql(
            "add_check",
            "NOT VALID: the check holds for new and changed rows at once, without a scan of "
            "the rows there are.",
            f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;\n",
        ),
        _sql(
            "validate_check",
            "VALIDATE scans the table under SHARE UPDATE EXCLUSIVE: reads and writes go on "
            "meanwhile.",
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {check};\n",
        ),
        _sql(
            "set_not_null",
            "PostgreSQL >= 12 sees the validated check and skips SET NOT NULL's scan: a brief "
            "ACCESS EXCLUSIVE lock.",
            f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;\n",
        ),
        _sql(
            "drop_check",
            "The NOT NULL constraint now says what the check said.",
            f"ALTER TABLE {table} DROP CONSTRAINT {check};\n",
        ),
    ]


def _sync_function(function: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body}  RETURN NEW;\nEND $$;\n"
    )


def _trigger(table: str, trigger: str) -> str:
    return (
        f"CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {table}\n"
        f"  FOR EACH ROW EXECUTE FUNCTION {trigger}();\n"
    )


def _expand(
    r: Request, c: Carried, old: str, new: str, trigger: str, body: str, sync_note: str
) -> list[Step]:
    """Add the new column (of --type), the trigger keeping it filled, the batched copy."""
    set_, where = f"{new} = {_copy(r, old)}", f"{new} IS NULL AND {old} IS NOT NULL"
    unknown = (
        ""
        if c.known
        else f" The schema model does not know {old}: its NOT NULL, default and indexes are "
        f"not carried over to {new}; add them in migrations of your own."
    )
    return [
        _sql(
            f"add_{new}",
            f"Adds {new} beside {old}, nullable: no rewrite, no scan.{unknown}",
            f"ALTER TABLE {r.table} ADD COLUMN {new} {r.type};\n",
        ),
        _sql("sync_trigger", sync_note, _sync_function(trigger, body) + _trigger(r.table, trigger)),
        _backfill(r.table, set_, where),
    ]


def _copy(r: Request, old: str) -> str:
    return f"CAST({old} AS {r.type})" if r.template == "change-column-type" else old


def _carry_over(r: Request, c: Carried, old: str, new: str, *, attach: bool) -> list[Step]:
    """The old column's indexes built on the new one (concurrently); its unique constraints
    attached (when `attach`: a swap does it otherwise); its NOT NULL, proven by a check."""
    steps = []
    if c.indexes:
        builds = "".join(index.create(r.table, old, new) + "\n" for index in c.indexes)
        steps.append(
            _sql(
                "indexes",
                f"The indexes of {old}, built on {new} without blocking writes (CREATE INDEX "
                "CONCURRENTLY, outside a transaction).",
                builds,
                no_transaction=True,
            )
        )
    unique = [index for index in c.indexes if index.constraint]
    if attach and unique:
        attached = "".join(index.attach(r.table, index.name) + "\n" for index in unique)
        steps.append(
            _sql(
                "unique",
                f"The unique constraints of {old}, made of the indexes built on {new}: a "
                "catalog change, no scan.",
                attached,
            )
        )
    if c.not_null:
        steps.append(
            _sql(
                "not_null",
                f"{new} becomes NOT NULL like {old}: a NOT VALID check, VALIDATE (reads and "
                "writes go on), SET NOT NULL without a scan (PostgreSQL >= 12), the check "
                "dropped.",
                not_null(r.table, new).removeprefix(NO_TRANSACTION) + "\n",
                no_transaction=True,
            )
        )
    return steps


def rename_column(r: Request, c: Carried) -> list[Step]:
    table, old, new = r.table, r.from_, r.to
    trigger = name(_base(table), old, "to", new, "sync")
    if r.phase == "contract":
        default = (
            f"ALTER TABLE {table} ALTER COLUMN {new} SET DEFAULT {c.default};\n"
            if c.default
            else ""
        )
        return [
            _sql(
                f"drop_{old}",
                f"The contract phase: deploy it once no running code uses {old}. The trigger "
                f"and the old column go in one transaction (new code writes only {new}: "
                f"without the trigger, {old} would no longer be filled in)"
                + (f", and {new} takes the default of {old}." if default else "."),
                f"-- audifi-db: allow dropping-trigger the contract phase: the code deployed "
                f"since the expand phase writes {new} itself, and {old} goes with the trigger\n"
                f"DROP TRIGGER {trigger} ON {table};\nDROP FUNCTION {trigger}();\n"
                + default
                + f"-- audifi-db: allow dropping-column the contract phase of renaming {old} to "
                f"{new}: the code deployed since the expand phase uses {new}\n"
                f"ALTER TABLE {table} DROP COLUMN {old};\n",
            )
        ]
    # On insert, a value of new wins: old may hold its default, which new gets at contract.
    sync = (
        "  IF TG_OP = 'INSERT' THEN\n"
        f"    IF NEW.{new} IS NULL THEN NEW.{new} := NEW.{old};\n"
        f"    ELSE NEW.{old} := NEW.{new};\n    END IF;\n"
        f"  ELSIF NEW.{new} IS DISTINCT FROM OLD.{new} THEN\n    NEW.{old} := NEW.{new};\n"
        f"  ELSE\n    NEW.{new} := NEW.{old};\n  END IF;\n"
    )
    notes = f"Old code writes {old}, new code {new}: each insert and update fills in the other."
    return [
        *_expand(r, c, old, new, trigger, sync, notes),
        *_carry_over(r, c, old, new, attach=True),
    ]


def change_column_type(r: Request, c: Carried) -> list[Step]:
    table, column = r.table, r.column
    new = name(column, "new")
    trigger = name(_base(table), column, "type_sync")
    swap = (
        f"-- audifi-db: allow dropping-trigger the swap: the trigger filled {new}, which "
        f"replaces {column} in this transaction\n"
        f"DROP TRIGGER {trigger} ON {table};\nDROP FUNCTION {trigger}();\n"
        f"-- audifi-db: allow dropping-column the swap: {new} ({r.type}) takes its place in "
        "this transaction\n"
        f"ALTER TABLE {table} DROP COLUMN {column};\n"
        f"-- audifi-db: allow renaming-column the swap: old and new code use the name {column} "
        "before and after it\n"
        f"ALTER TABLE {table} RENAME COLUMN {new} TO {column};\n"
    )
    if c.default:
        swap += f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {c.default};\n"
    for index in c.indexes:
        if index.constraint:
            swap += index.attach(table, index.old) + "\n"
        else:
            swap += f"ALTER INDEX {index.qualified} RENAME TO {sql_name(index.old)};\n"
    synced = f"Every insert and update sets {new} from {column} from now on."
    return [
        *_expand(
            r, c, column, new, trigger, f"  NEW.{new} := CAST(NEW.{column} AS {r.type});\n", synced
        ),
        *_carry_over(r, c, column, new, attach=False),
        _sql("swap", _swap_note(column, new, c), swap),
    ]


def _swap_note(column: str, new: str, c: Carried) -> str:
    note = f"The swap, in one short transaction: {column} goes, with its indexes, and {new} takes"
    taken = ["its name"] + [
        what for what, has in (("its default", c.default), ("its index names", c.indexes)) if has
    ]
    return f"{note} {', '.join(taken[:-1])}{' and ' if len(taken) > 1 else ''}{taken[-1]}."


def drop_column(r: Request) -> list[Step]:
    reason = r.reason or f"the contract step: no deployed code reads or writes {r.column} any more"
    return [
        _sql(
            f"drop_{r.column}",
            f"Deploy it once no running code uses {r.column} (the release before stopped "
            "using it).",
            f"-- audifi-db: allow dropping-column {reason}\n"
            f"ALTER TABLE {r.table} DROP COLUMN {r.column};\n",
        )
    ]


BUILDERS = {"add-required-column": add_required_column, "drop-column": drop_column}
COLUMN_BUILDERS = {"rename-column": rename_column, "change-column-type": change_column_type}
