"""The seed's strategies as migrations: `audifi-db new NAME --template T` drafts each step
as its own migration, in order. Pure text: discovery writes the files.

- `add-required-column`: add nullable (with the default for new rows) → backfill (Python)
  → CHECK (c IS NOT NULL) NOT VALID → VALIDATE → SET NOT NULL (no scan on PostgreSQL ≥ 12,
  proven by the valid check) → drop the check. With no value for the rows there are, the
  backfill step only stops the deploy if there are rows to fill.
- `rename-column`: add the new column → a trigger keeping both in sync for old and new code
  → batched copy → the old column's indexes, unique constraints and NOT NULL on the new one;
  `--phase contract` later drops the trigger and the old column, the new one taking its
  default.
- `change-column-type`: the same shape: a new column of the new type, kept in sync, batched
  copy, the old column's indexes and NOT NULL on it, then a swap in one short transaction
  (its name, default, index names and unique constraints).
- `drop-column`: the contract step, with the acknowledgement the linter asks for.

What a renamed or retyped column has comes from the schema model the migrations folder
leaves (`carry.py`, which also refuses what cannot be carried over safely); a column a
template would add that the table has in that model already is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

from .carry import Carried, carried
from .errors import ConfigError, SqlSyntaxError
from .identifiers import fit
from .lint.schema import SchemaModel
from .model import Migration
from .template_steps import BUILDERS, COLUMN_BUILDERS, Draft, name

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_$]*$")
TABLE = re.compile(r"^(?:[a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$")


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


# Per template: the options it needs, and those it may take.
OPTIONS = {
    "add-required-column": ({"table", "column", "type"}, {"default", "backfill"}),
    "rename-column": ({"table", "from_", "to"}, {"type", "phase"}),
    "change-column-type": ({"table", "column", "type"}, set()),
    "drop-column": ({"table", "column"}, {"reason"}),
    "revert": ({"of"}, set()),
}
TEMPLATES = tuple(OPTIONS)
# the templates that read the folder's schema model
READ_THE_FOLDER = {"revert", "add-required-column", "rename-column", "change-column-type"}


def flag(option: str) -> str:
    return "--" + option.rstrip("_").replace("_", "-")


def drafts(
    request: Request,
    migrations: Sequence[Migration] = (),
    warn: Callable[[str], None] | None = None,
) -> list[Draft]:
    """The template's migrations, in order; ConfigError naming the flag when the request is
    incomplete, has a flag the template does not take, would not parse as SQL, would add a
    column the table has already, or asks for a column the template cannot carry over
    safely. `migrations` (the folder's) give the schema model the templates of
    READ_THE_FOLDER read; `warn` hears of a column the model does not know."""
    _check_options(request)
    if request.template == "revert":
        from .revert import revert_texts

        made = [Draft(step, ".sql", text) for step, text in revert_texts(migrations, request.of)]
    else:
        from .lint.engine import replay_folder

        model = replay_folder(migrations)  # empty for a template outside READ_THE_FOLDER
        _check_column_is_free(request, model)
        if request.template in COLUMN_BUILDERS:
            request, column = _carried(request, model, warn or (lambda line: None))
            steps = COLUMN_BUILDERS[request.template](request, column)
        else:
            steps = BUILDERS[request.template](request)
        made = [make(request, number, len(steps)) for number, make in enumerate(steps, 1)]
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


def _check_column_is_free(request: Request, model: SchemaModel) -> None:
    """ConfigError when the column the template adds is one the table has already."""
    added = request.column if request.template == "add-required-column" else None
    if request.template in COLUMN_BUILDERS and request.phase == "expand":
        added = _old_and_new(request)[1]  # rename-column's contract adds nothing
    table = model.table_named(request.table)
    if added is None or table is None or added not in table.columns:
        return
    raise ConfigError(
        f"--template {request.template}: {request.table} already has a column {added} in the "
        "schema the migrations folder leaves",
        f"nothing was written; {_TAKEN_HINTS[request.template].format(added)}",
    )


_TAKEN_HINTS = {
    "add-required-column": "give --column a name the table does not use",
    "rename-column": "give --to a name the table does not use",
    "change-column-type": "the template adds {0} for the new type: drop {0}, or finish the "
    "earlier change that left it, first",
}


def _carried(
    request: Request, model: SchemaModel, warn: Callable[[str], None]
) -> tuple[Request, Carried]:
    """What the renamed or retyped column has, from the model the folder leaves; the
    request with the column's type when `rename-column` was given none."""
    old, new = _old_and_new(request)
    if request.template == "rename-column":

        def index_name(index: str) -> str:
            word = re.compile(rf"(?:^|(?<=_)){re.escape(old)}(?=_|$)")  # not within a word
            return word.sub(new, index, count=1) if word.search(index) else name(index, new)
    else:

        def index_name(index: str) -> str:
            return fit(f"{index}_new")

    found = carried(model, f"--template {request.template}", request.table, old, index_name)
    subject = f"{request.table}.{old}"
    if not found.known:
        if request.type is None and request.phase == "expand":
            raise ConfigError(
                f"--template {request.template} needs --type: {subject} is not in the schema "
                "the migrations folder leaves",
                f"give the new column's type, e.g. {EXAMPLES[request.template]}",
            )
        lost = "default is" if request.phase == "contract" else "NOT NULL, default and indexes are"
        warn(
            f"warning: {subject} is not in the schema the migrations folder leaves (made "
            f"outside its migrations?): its {lost} not carried over to {new}; give {new} what "
            f"{old} has in a migration of your own"
        )
    return replace(request, type=request.type or found.type), found


def _old_and_new(request: Request) -> tuple[str, str]:
    if request.template == "rename-column":
        return request.from_, request.to
    return request.column, name(request.column, "new")


def _check_sql(text: str, request: Request, number: int, where: str) -> None:
    from .sql import parse

    try:
        parse(text, where)
    except SqlSyntaxError as error:
        given = [f"--{f.name.rstrip('_')}" for f in fields(request) if f.name in _IN_SQL]
        given = [flag for flag in given if getattr(request, flag[2:]) is not None]
        hint = (
            f"check {', '.join(given)}: they go into the SQL as given; nothing was written"
            if given
            else "nothing was written; please report it: a drafted migration should parse"
        )
        raise ConfigError(
            f"--template {request.template}: step {number} would not parse: {error.message}",
            hint,
        ) from None


_IN_SQL = ("type", "default", "backfill")  # the options written into the SQL as given


EXAMPLES = {
    "add-required-column": "audifi-db new add_popularity --template add-required-column "
    "--table tracks --column popularity --type bigint --default 0",
    "rename-column": "audifi-db new rename_plays --template rename-column --table tracks "
    "--from plays --to play_count",
    "change-column-type": "audifi-db new widen_duration --template change-column-type "
    "--table tracks --column duration_ms --type bigint",
    "drop-column": "audifi-db new drop_legacy --template drop-column --table tracks "
    "--column legacy",
    "revert": "audifi-db new undo_popularity --template revert --of 20261201090000",
}
