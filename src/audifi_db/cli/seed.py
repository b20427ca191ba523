"""`audifi-db seed`: load the sample data of db/seeds into the local database."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    command_parser(
        subparsers,
        "seed",
        "load db/seeds/*.sql (sample artists, fans, masters, an IPO, a session, a coin) into "
        "the local database in one transaction; refused for staging and production",
        run,
    )


def run(args) -> int:
    from ..operations import seed
    from .output import info, plural, print_json

    settings = settings_from(args)
    info(f"{settings.environment}: {settings.url_for_humans}")
    loaded = seed(settings, report=info)
    if args.json:
        files = [{"file": f, "rows": n, "skipped": n is None} for f, n in loaded]
        print_json({"ok": True, "files": files})
    for name, rows in loaded if not args.json else []:
        if rows is None:
            print(f"skipped  {name}  (loaded before, unchanged)")
        else:
            print(f"seeded   {name}  ({plural(rows, 'row')})")
    return 0
