"""`audifi-db erd`: a Mermaid ER diagram of the live database."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "erd",
        "print a Mermaid ER diagram of the live database: tables, key columns, foreign keys",
        run,
    )
    parser.add_argument("--all-columns", action="store_true", help="draw every column")


def run(args) -> int:
    from ..operations import erd
    from .output import info, print_json

    settings = settings_from(args)
    info(f"{settings.environment}: {settings.url_for_humans}")
    diagram = erd(settings, keys_only=not args.all_columns)
    if args.json:
        print_json({"ok": True, "mermaid": diagram})
    else:
        print(diagram, end="")
    return 0
