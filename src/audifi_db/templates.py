"""The seed's strategies as migrations: `audifi-db new NAME --template T` drafts each step
as its own migration, in order. Pure text: discovery writes the files.

- `add-required-column`: add nullable (with the default for new rows) → backfill (Python)
  → CHECK (c IS NOT NULL) NOT VALID → VALIDATE → SET NOT NULL (no scan on PostgreSQL ≥ 12,
  proven by the valid check) → drop the check.
- `rename-column`: add the new column → a trigger keeping both in sync for old and new code
  → batched copy; `--phase contract` later drops the trigger and the old column.
- `change-column-type`: the same shape: a new column of the new type, kept in sync,
  batched copy, then a swap in one short transaction.
- `drop-column`: the contract step, with the acknowledgement the linter asks for.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, fields

from .errors import ConfigError, SqlSyntaxError
from .model import Migration
from .online import BATCH_SIZE

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_$]*$")
TABLE = re.compile(r"^(?:[a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$")
MAX_NAME = 63  # PostgreSQL's identifier length


@dataclass(frozen=True)
class Request:
    """What `new --template` was given (None: not given)."""

    template: str
    table: str | None = None
    column: str | None = None
    type: str | None = None
    default: str | None = None
    backfill: str | None = None
    from_: str | None = None
    to: str | None = None
    phase: str = "expand"
    reason: str | None = None
    of: str | None = None


@dataclass(frozen=True)
class Draft:
    """One migration to write: `<version>_<NAME>_<step><suffix>`. `sql` is what must parse
    (the text of a SQL migration; what a backfill will run, for a Python one)."""

    step: str
    suffix: str
    text: str
    sql: str = ""


# Per template: the options it needs, and those it may take.
OPTIONS = {
    "add-required-column": ({"table", "column", "type"}, {"default", "backfill"}),
    "rename-column": ({"table", "from_", "to", "type"}, {"phase"}),
    "change-column-type": ({"table", "column", "type"}, set()),
    "drop-column": ({"table", "column"}, {"reason"}),
    "revert": ({"of"}, set()),
}
TEMPLATES = tuple(OPTIONS)


def flag(option: str) -> str:
    return "--" + option.rstrip("_").replace("_", "-")


def drafts(request: Request, migrations: Sequence[Migration] = ()) -> list[Draft]:
    """The template's migrations, in order; ConfigError naming the flag when the request is
    incomplete, has a flag the template does not take, or would not parse as SQL.
    `migrations` (the folder's) are what `revert` reads."""
    _check_options(request)
    if request.template == "revert":
        from .revert import revert_texts

        made = [Draft(step, ".sql", text) for step, text in revert_texts(migrations, request.of)]
    else:
        made = _BUILDERS[request.template](request)
    for number, draft in enumerate(made, start=1):
        _check_sql(draft.sql or draft.text, request, number, draft.step + draft.suffix)
    return made


def _check_options(request: Request) -> None:
    needed, optional = OPTIONS[request.template]
    given = {f.name for f in fields(request) if f.name != "template" and getattr(request, f.name)}
    if request.phase == "expand":
        given.discard("phase")  # the default
    missing = sorted(needed - given)
    if missing:
        raise ConfigError(
            f"--template {request.template} needs {', '.join(flag(m) for m in missing)}",
            f"e.g. {EXAMPLES[request.template]}",
        )
    extra = sorted(given - needed - optional)
    if extra:
        raise ConfigError(
            f"{flag(extra[0])} does not apply to --template {request.template}",
            f"e.g. {EXAMPLES[request.template]}",
        )
    if request.phase not in ("expand", "contract"):
        raise ConfigError(f"--phase {request.phase!r} is not a phase", "use expand or contract")
    if request.template == "add-required-column" and not (request.default or request.backfill):
        raise ConfigError(
            "--template add-required-column needs the value existing rows get: --default EXPR "
            "(also for new rows) or --backfill EXPR",
            f"e.g. {EXAMPLES['add-required-column']}",
        )
    for option, pattern in (
        ("table", TABLE),
        ("column", IDENTIFIER),
        ("from_", IDENTIFIER),
        ("to", IDENTIFIER),
    ):
        value = getattr(request, option)
        if value is not None and not pattern.match(value):
            raise ConfigError(
                f"{flag(option)} {value!r} is not a plain lower-case SQL name",
                "write it as in SQL without quotes, e.g. tracks or public.tracks",
            )


def _check_sql(text: str, request: Request, number: int, where: str) -> None:
    from .sql import parse

    try:
        parse(text, where)
    except SqlSyntaxError as error:
        raise ConfigError(
            f"--template {request.template}: step {number} would not parse: {error.message}",
            "check --type, --default and --backfill: they go into the SQL as given; "
            "nothing was written",
        ) from None


EXAMPLES = {
    "add-required-column": "audifi-db new add_popularity --template add-required-column "
    "--table tracks --column popularity --type bigint --default 0",
    "rename-column": "audifi-db new rename_plays --template rename-column --table tracks "
    "--from plays --to play_count --type bigint",
    "change-column-type": "audifi-db new widen_duration --template change-column-type "
    "--table tracks --column duration_ms --type bigint",
    "drop-column": "audifi-db new drop_legacy --template drop-column --table tracks "
    "--column legacy",
    "revert": "audifi-db new undo_popularity --template revert --of 20261201090000",
}


def name(*parts: str) -> str:
    """A constraint, trigger or function name from parts, within PostgreSQL's 63 bytes."""
    return "_".join(parts)[:MAX_NAME]


def _base(table: str) -> str:
    return table.rpartition(".")[2]


def _title(request: Request, number: int, total: int) -> str:
    phase = " --phase contract" if request.phase == "contract" else ""
    subject = f"{request.table}.{request.column or request.from_}"
    return f"Step {number} of {total} of `audifi-db new --template {request.template}{phase}` on {subject}."


def _header(request: Request, number: int, total: int, what: str) -> str:
    lines = textwrap.wrap(f"{_title(request, number, total)} {what}", 92)
    return "".join(f"-- {line}\n" for line in lines)


def _python_string(text: str) -> str:
    return f'"{text}"' if not set(text) & {'"', "\\", "\n"} else repr(text)


def _backfill(request: Request, number: int, total: int, set_: str, where: str) -> Draft:
    doc = textwrap.fill(
        f"{_title(request, number, total)} Fills the rows there are in batches of "
        f"{BATCH_SIZE:,} by primary key, one short transaction each. Run again (after a crash, "
        "a kill, a lost connection), it skips the rows already done.",
        92,
    )
    text = (
        f'"""{doc}\n"""\n\n\ndef migrate(ctx):\n    ctx.backfill(\n'
        f"        {_python_string(request.table)},\n        set={_python_string(set_)},\n"
        f"        where={_python_string(where)},\n    )\n"
    )
    return Draft("backfill", ".py", text, f"UPDATE {request.table} SET {set_} WHERE {where}")


def add_required_column(r: Request) -> list[Draft]:
    table, column = r.table, r.column
    check = name(_base(table), column, "not_null")
    add = f"ALTER TABLE {table} ADD COLUMN {column} {r.type};\n"
    if r.default:
        add += f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {r.default};\n"
    return [
        Draft(
            "add_column",
            ".sql",
            _header(
                r,
                1,
                6,
                "Adds the column nullable: no rewrite, no scan. New rows get the "
                "default from now on; the next step fills the rows there are.",
            )
            + add,
        ),
        _backfill(r, 2, 6, f"{column} = {r.backfill or r.default}", f"{column} IS NULL"),
        Draft(
            "add_check",
            ".sql",
            _header(
                r,
                3,
                6,
                "NOT VALID: the check holds for new and changed rows at once, "
                "without a scan of the rows there are.",
            )
            + f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;\n",
        ),
        Draft(
            "validate_check",
            ".sql",
            _header(
                r,
                4,
                6,
                "VALIDATE scans the table under SHARE UPDATE EXCLUSIVE: reads and "
                "writes go on meanwhile.",
            )
            + f"ALTER TABLE {table} VALIDATE CONSTRAINT {check};\n",
        ),
        Draft(
            "set_not_null",
            ".sql",
            _header(
                r,
                5,
                6,
                "PostgreSQL >= 12 sees the validated check and skips SET NOT "
                "NULL's scan: a brief ACCESS EXCLUSIVE lock.",
            )
            + f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;\n",
        ),
        Draft(
            "drop_check",
            ".sql",
            _header(r, 6, 6, "The NOT NULL constraint now says what the check said.")
            + f"ALTER TABLE {table} DROP CONSTRAINT {check};\n",
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


def _add_and_sync(
    r: Request, total: int, new: str, add_note: str, trigger: str, body: str, sync_note: str
) -> list[Draft]:
    """The expand steps: add the new column (of --type), then the trigger keeping it filled."""
    add = f"ALTER TABLE {r.table} ADD COLUMN {new} {r.type};\n"
    sync = _sync_function(trigger, body) + _trigger(r.table, trigger)
    return [
        Draft(f"add_{new}", ".sql", _header(r, 1, total, add_note) + add),
        Draft("sync_trigger", ".sql", _header(r, 2, total, sync_note) + sync),
    ]


def rename_column(r: Request) -> list[Draft]:
    table, old, new = r.table, r.from_, r.to
    trigger = name(_base(table), old, "to", new, "sync")
    if r.phase == "contract":
        return [
            Draft(
                f"drop_{old}",
                ".sql",
                _header(
                    r,
                    1,
                    1,
                    f"The contract phase: deploy it once no running code uses {old}. "
                    "The trigger and the old column go in one transaction (new code writes only "
                    f"{new}: without the trigger, {old} would no longer be filled in).",
                )
                + f"-- audifi-db: allow dropping-trigger the contract phase: the code deployed "
                f"since the expand phase writes {new} itself, and {old} goes with the trigger\n"
                + f"DROP TRIGGER {trigger} ON {table};\nDROP FUNCTION {trigger}();\n"
                + f"-- audifi-db: allow dropping-column the contract phase of renaming {old} to "
                f"{new}: the code deployed since the expand phase uses {new}\n"
                + f"ALTER TABLE {table} DROP COLUMN {old};\n",
            )
        ]
    sync = (
        "  IF TG_OP = 'INSERT' THEN\n"
        f"    IF NEW.{new} IS NULL THEN NEW.{new} := NEW.{old};\n"
        f"    ELSIF NEW.{old} IS NULL THEN NEW.{old} := NEW.{new};\n    END IF;\n"
        f"  ELSIF NEW.{new} IS DISTINCT FROM OLD.{new} THEN\n    NEW.{old} := NEW.{new};\n"
        f"  ELSE\n    NEW.{new} := NEW.{old};\n  END IF;\n"
    )
    notes = (
        f"Old code writes {old}, new code {new}: each insert and update fills in the other. "
        f"Indexes, constraints, defaults and NOT NULL of {old} are not copied to {new}: add "
        "them in migrations of your own."
    )
    added = f"Adds {new} beside {old}, nullable: no rewrite, no scan."
    return [
        *_add_and_sync(r, 3, new, added, trigger, sync, notes),
        _backfill(r, 3, 3, f"{new} = {old}", f"{new} IS NULL AND {old} IS NOT NULL"),
    ]


def change_column_type(r: Request) -> list[Draft]:
    table, column = r.table, r.column
    new = name(column, "new")
    trigger = name(_base(table), column, "type_sync")
    cast = f"CAST(NEW.{column} AS {r.type})"
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
    added = f"Adds {new}, of the new type, nullable: no rewrite, no scan."
    synced = f"Every insert and update sets {new} from {column} from now on."
    return [
        *_add_and_sync(r, 4, new, added, trigger, f"  NEW.{new} := {cast};\n", synced),
        _backfill(
            r,
            3,
            4,
            f"{new} = CAST({column} AS {r.type})",
            f"{new} IS NULL AND {column} IS NOT NULL",
        ),
        Draft(
            "swap",
            ".sql",
            _header(
                r,
                4,
                4,
                f"The swap, in one short transaction. Indexes, constraints, "
                f"defaults and NOT NULL of {column} are not carried over: add them to {new} "
                "in a migration before this one (CREATE INDEX CONCURRENTLY …).",
            )
            + swap,
        ),
    ]


def drop_column(r: Request) -> list[Draft]:
    reason = r.reason or f"the contract step: no deployed code reads or writes {r.column} any more"
    return [
        Draft(
            f"drop_{r.column}",
            ".sql",
            _header(
                r,
                1,
                1,
                f"Deploy it once no running code uses {r.column} (the release "
                "before stopped using it).",
            )
            + f"-- audifi-db: allow dropping-column {reason}\n"
            + f"ALTER TABLE {r.table} DROP COLUMN {r.column};\n",
        )
    ]


_BUILDERS = {
    "add-required-column": add_required_column,
    "rename-column": rename_column,
    "change-column-type": change_column_type,
    "drop-column": drop_column,
}
