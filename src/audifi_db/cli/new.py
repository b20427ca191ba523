"""`audifi-db new NAME`: create the next migration file."""

from __future__ import annotations

import os

from .options import command_parser


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers, "new", "create db/migrations/<UTC now>_<NAME>.sql", run, database=False
    )
    parser.add_argument("name", help="snake_case, e.g. add_users_table")


def run(args) -> int:
    from ..config import load_settings
    from ..operations import new
    from .output import info

    settings = load_settings()
    path = new(settings, args.name, report=info)
    print(os.path.relpath(path))  # from a subfolder too: the path as typed from here
    return 0
