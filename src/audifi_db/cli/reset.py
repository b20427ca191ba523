"""`audifi-db reset [--force]`: drop everything the migrations made, then apply them all."""

from __future__ import annotations

import sys

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "reset",
        "DESTRUCTIVE: drop the managed schemas and the history, then re-apply every migration "
        "(local only; refused for staging and production)",
        run,
    )
    parser.add_argument("--force", action="store_true", help="do not ask for confirmation")


def run(args) -> int:
    from ..errors import RefusedError
    from ..operations import refuse_protected, reset
    from .deploy import run_and_render

    settings = settings_from(args)
    refuse_protected(settings, "reset")
    if not args.force:
        if not sys.stdin.isatty():
            raise RefusedError(
                "reset needs confirmation and there is no terminal to ask", "pass --force"
            )
        answer = input(f"Drop everything in {settings.url_for_humans} and re-apply? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("reset cancelled")
            return 1
    return run_and_render(args, settings, reset)
