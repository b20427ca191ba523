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
    from .output import announce

    settings = settings_from(args)
    announce(settings)
    return load(args, settings)


def load(args, settings, *, one_line: bool = False) -> int:
    """Load the seeds and say, per file, what was loaded or skipped (with --json: one
    document, or `one_line` after another command's JSON lines)."""
    import json

    from ..operations import seed
    from .output import info, plural, print_json

    loaded = seed(settings, report=info)
    if args.json:
        files = [{"file": f, "rows": n, "skipped": n is None} for f, n in loaded]
        summary = {"ok": True, "files": files}
        if one_line:
            print(json.dumps(summary))
        else:
            print_json(summary)
    for name, rows in loaded if not args.json else []:
        if rows is None:
            print(f"skipped  {name}  (loaded before, unchanged)")
        else:
            print(f"seeded   {name}  ({plural(rows, 'row')})")
    return 0
