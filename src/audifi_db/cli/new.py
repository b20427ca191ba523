"""`audifi-db new NAME [--template T …]`: create the next migration file, or the sequence
of migrations that carries out one of the seed's strategies."""

from __future__ import annotations

import os

from .options import command_parser

TEMPLATE_HELP = """templates (each step its own migration, named <version>_<NAME>_<step>):
  add-required-column --table T --column C --type TYPE [--default EXPR] [--backfill EXPR]
      add nullable -> backfill in batches (.py; given neither value, it stops the deploy
      if there are rows to fill) -> CHECK NOT VALID -> VALIDATE -> SET NOT NULL (no scan)
      -> drop the check
  rename-column --table T --from A --to B [--type TYPE] [--phase contract]
      add B (of A's type) -> trigger keeping A and B in sync -> batched copy -> A's
      indexes, unique constraints and NOT NULL on B; once no code uses A, --phase
      contract drops the trigger and A, B taking A's default
  change-column-type --table T --column C --type TYPE
      add C_new -> sync trigger -> batched copy -> C's indexes and NOT NULL on C_new
      -> swap in one short transaction (C_new takes C's name, default and index names)
  drop-column --table T --column C [--reason TEXT]
      the contract step, acknowledged for the linter
  revert --of VERSION
      a new forward migration undoing VERSION's statements in reverse order, drafted
      from the linter's schema model, for a human to review (a dropped column comes
      back empty)
rename-column and change-column-type read the column in the schema the migrations
leave; one they cannot carry over safely (in a primary or foreign key, with a check,
in an index the model cannot build again) is refused: exit 2, nothing written. So is
a column a template would add (C, B, C_new) that the table has already."""


OPTIONS = ("table", "column", "type", "default", "backfill", "from_", "to", "reason", "of")


def add_parser(subparsers) -> None:
    from ..templates import TEMPLATES

    parser = command_parser(
        subparsers, "new", "create db/migrations/<UTC now>_<NAME>.sql", run, database=False
    )
    parser.epilog = f"{TEMPLATE_HELP}\n\n{parser.epilog}"
    parser.add_argument("name", help="snake_case, e.g. add_users_table")
    parser.add_argument("--template", choices=TEMPLATES, help="write a strategy's migrations")
    parser.add_argument("--table", metavar="T", help="the table, e.g. tracks or public.tracks")
    parser.add_argument("--column", metavar="C", help="the column")
    parser.add_argument(
        "--type",
        metavar="TYPE",
        help="the column's (new) SQL type; rename-column: the old column's unless given",
    )
    parser.add_argument(
        "--default",
        metavar="EXPR",
        help="the default for new rows (and, without --backfill, the value existing rows get)",
    )
    parser.add_argument(
        "--backfill", metavar="EXPR", help="the value existing rows get, e.g. 'plays / 10'"
    )
    parser.add_argument("--from", dest="from_", metavar="A", help="rename-column: the old name")
    parser.add_argument("--to", metavar="B", help="rename-column: the new name")
    parser.add_argument(
        "--phase",
        choices=("expand", "contract"),
        default="expand",
        help="rename-column: expand (default) or contract",
    )
    parser.add_argument("--reason", metavar="TEXT", help="drop-column: why dropping is safe")
    parser.add_argument("--of", metavar="VERSION", help="revert: the migration to undo")


def run(args) -> int:
    from ..config import load_settings
    from ..errors import ConfigError
    from ..operations import new
    from .output import info

    settings = load_settings()
    request = None
    if args.template:
        from ..templates import Request

        request = Request(args.template, phase=args.phase, **{o: getattr(args, o) for o in OPTIONS})
    elif any(getattr(args, o) for o in OPTIONS) or args.phase != "expand":
        raise ConfigError(
            "--table, --column, --type and the like go with --template",
            "e.g. `audifi-db new add_popularity --template add-required-column …`; see "
            "`audifi-db new --help`",
        )
    for path in new(settings, args.name, request, report=info):
        print(os.path.relpath(path))  # from a subfolder too: the path as typed from here
    return 0
