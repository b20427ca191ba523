"""`audifi-db validate`: applied checksums against the files; exit 1 on changed or missing."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    command_parser(
        subparsers,
        "validate",
        "check applied migrations against their files (changed, missing)",
        run,
    )


def run(args) -> int:
    from ..operations import validate
    from ..operations.inspect import migration_json
    from .output import info, print_json

    settings = settings_from(args)
    info(f"{settings.environment}: {settings.url_for_humans}")
    problems = validate(settings)
    if args.json:
        print_json({"ok": not problems, "problems": [migration_json(item) for item in problems]})
    for item in problems if not args.json else []:
        what = "edited since it was applied" if item.state.value == "changed" else "file is gone"
        print(f"{item.state.value}: {item.version}_{item.name}: {what}")
    if not problems and not args.json:
        print("valid: every applied migration matches its file")
    return 1 if problems else 0
