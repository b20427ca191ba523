"""`audifi-db dev`: the local loop — lint, then apply pending migrations to the local database."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "dev",
        "lint, then apply pending migrations to the local database (lint errors block)",
        run,
    )
    parser.add_argument(
        "--target", metavar="VERSION", help="apply pending migrations up to and including VERSION"
    )
    parser.add_argument(
        "--allow-out-of-order",
        action="store_true",
        help="apply pending migrations older than the newest applied one (recorded in history)",
    )


def run(args) -> int:
    from ..model import RunOptions
    from ..operations import dev
    from .deploy import run_and_render

    options = RunOptions(up_to=args.target, allow_out_of_order=args.allow_out_of_order)
    return run_and_render(args, settings_from(args), dev, options)
