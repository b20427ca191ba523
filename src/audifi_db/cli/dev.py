"""`audifi-db dev`: the local loop — apply pending migrations to the local database."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    command_parser(subparsers, "dev", "apply pending migrations to the local database", run)


def run(args) -> int:
    from ..operations import dev
    from .deploy import run_and_render

    return run_and_render(args, settings_from(args), dev)
