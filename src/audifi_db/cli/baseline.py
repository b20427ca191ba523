"""`audifi-db baseline VERSION`: adopt a database whose schema already exists."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "baseline",
        "adopt an existing database: record every migration up to and including VERSION as "
        "baselined (none of their SQL is run); refused on a database that has history",
        run,
    )
    parser.add_argument("version", help="the newest migration the database already has")


def run(args) -> int:
    from ..operations import baseline
    from .output import announce, info, log_listeners, plural, print_json

    settings = settings_from(args)
    announce(settings)
    recorded = baseline(settings, args.version, report=info, listeners=log_listeners(args))
    if args.json:
        print_json({"ok": True, "baselined": [m.version for m in recorded]})
        return 0
    for migration in recorded:
        print(f"baselined  {migration.filename}")
    env = "" if settings.environment == "local" else f" --env {settings.environment}"
    print(
        f"{plural(len(recorded), 'migration')} recorded as baselined, no SQL run; "
        f"`audifi-db deploy{env}` applies the later ones"
    )
    return 0
