"""`audifi-db db create|drop`: the configured database itself."""

from __future__ import annotations

from .options import command_group, command_parser, settings_from


def add_parser(subparsers) -> None:
    actions = command_group(subparsers, "db", "create or drop the environment's database")
    command_parser(
        actions, "create", "create the database the URL names (if it is missing)", create
    )
    drop = command_parser(
        actions,
        "drop",
        "DESTRUCTIVE: drop the database the URL names; asks on a terminal, --force without "
        "one; refused for staging and production",
        drop_database,
    )
    drop.add_argument("--force", action="store_true", help="do not ask for confirmation")


def create(args) -> int:
    from ..operations import create_database
    from .output import announce, log_listeners

    settings = settings_from(args)
    announce(settings)
    created = create_database(settings, log_listeners(args))
    say(args, settings, created, "created" if created else "exists already")
    return 0


def drop_database(args) -> int:
    from ..operations import drop_database
    from .output import announce, confirm, log_listeners

    settings = settings_from(args)
    announce(settings)
    question = f"Drop the database {settings.database_name} and everything in it?"
    dropped = drop_database(
        settings, log_listeners(args), lambda: confirm("db drop", question, force=args.force)
    )
    if dropped is None:
        print("db drop cancelled")
        return 1
    say(args, settings, dropped, "dropped" if dropped else "does not exist")
    return 0


def say(args, settings, changed: bool, what: str) -> None:
    from .output import print_json

    if args.json:
        print_json({"ok": True, "database": settings.database_name, "changed": changed})
    else:
        print(f"database {settings.database_name} {what}")
