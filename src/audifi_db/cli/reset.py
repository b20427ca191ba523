"""`audifi-db reset [--force]`: drop everything the migrations made, then apply them all."""

from __future__ import annotations

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
    from ..operations import refuse_protected, reset
    from .deploy import run_and_render
    from .output import confirm

    settings = settings_from(args)
    refuse_protected(settings, "reset")
    question = f"Drop everything in {settings.url_for_humans} and re-apply?"
    if not confirm("reset", question, force=args.force):
        print("reset cancelled")
        return 1
    return run_and_render(args, settings, reset)
