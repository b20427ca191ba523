"""`audifi-db resolve VERSION --applied|--rolled-back`: record a human's verdict."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "resolve",
        "mark a failed or in_progress migration as applied (finished by hand) or rolled back "
        "(undone by hand; deploy will run it again)",
        run,
    )
    parser.add_argument("version", help="the migration's version, e.g. 20261125120000")
    verdict = parser.add_mutually_exclusive_group(required=True)
    verdict.add_argument(
        "--applied", action="store_true", help="a human finished it: deploy goes past it"
    )
    verdict.add_argument(
        "--rolled-back", action="store_true", help="a human undid it: deploy runs it again"
    )


def run(args) -> int:
    from ..model import State
    from ..operations import resolve
    from .output import announce, log_listeners, print_json

    state = State.APPLIED if args.applied else State.ROLLED_BACK
    settings = settings_from(args)
    announce(settings)
    item = resolve(settings, args.version, state, log_listeners(args))
    if args.json:
        print_json(
            {"ok": True, "version": item.version, "name": item.name, "state": item.state.value}
        )
    else:
        print(f"{item.version}_{item.name} recorded as {state.value}; it is now {item.state.value}")
    return 0
