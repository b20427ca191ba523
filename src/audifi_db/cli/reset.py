"""`audifi-db reset [--force]`: drop everything the migrations made, then apply them all."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "reset",
        "DESTRUCTIVE: drop the managed schemas, those the migrations create and the history, "
        "re-apply every migration, then load db/seeds (local only; refused for staging and "
        "production)",
        run,
    )
    parser.add_argument("--force", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="stop the embedded PostgreSQL and delete its data first: start from a new server",
    )
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help="do not load db/seeds afterwards (it does by default)",
    )


def run(args) -> int:
    from ..discovery import discover_seeds, display_path
    from ..operations import embedded_wipe, refuse_protected, reset
    from .deploy import run_and_render
    from .output import confirm, info

    settings = settings_from(args)
    refuse_protected(settings, "reset")
    question = f"Drop everything in {settings.url_for_humans} and re-apply?"
    if args.embedded:
        embedded_wipe(settings, dry_run=True)  # refused before asking
        data = display_path(settings.embedded.data_dir)
        question = f"Stop the embedded PostgreSQL, delete its data in {data} and re-apply?"
    if not confirm("reset", question, force=args.force):
        print("reset cancelled")
        return 1
    if args.embedded:
        embedded_wipe(settings)
        info("stopped the embedded PostgreSQL and deleted its data; starting a new one")
    code = run_and_render(args, settings, reset)
    if code != 0 or args.no_seed or not discover_seeds(settings.seeds.dir):
        return code
    from .seed import load

    return load(args, settings, one_line=True)  # after the reset's JSON lines
