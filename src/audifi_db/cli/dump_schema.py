"""`audifi-db dump-schema`: the live schema and the migration history into db/schema.sql."""

from __future__ import annotations

from pathlib import Path

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "dump-schema",
        "write the live schema (pg_dump --schema-only) and the history's rows to db/schema.sql, "
        "the same bytes for the same database",
        run,
    )
    parser.add_argument("--output", metavar="FILE", help="another file than db/schema.sql")


def run(args) -> int:
    from ..discovery import display_path
    from ..operations import dump_schema
    from .output import announce, print_json

    settings = settings_from(args)
    announce(settings)
    path, changed = dump_schema(settings, Path(args.output) if args.output else None)
    if args.json:
        print_json({"ok": True, "file": display_path(path), "changed": changed})
    else:
        print(f"{display_path(path)} {'written' if changed else 'unchanged'}")
    return 0
