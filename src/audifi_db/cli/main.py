"""`audifi-db`: parse the command line, call the library, render, exit with a documented code."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys

from .. import __version__

COMMANDS = [
    "new",
    "dev",
    "deploy",
    "status",
    "history",
    "validate",
    "reset",
    "resolve",
    "seed",
    "erd",
    "lint",
    "report",
]

EPILOG = """exit codes:
  0  success (status: the database is in sync)
  1  the work failed: a migration failed, lint errors, not in sync, changed or missing
     migrations, a failed migration awaiting `resolve`, the lock held by another run
  2  usage or configuration error, bad migration file, database unreachable or refusing us
  130 interrupted

environments: --env local|staging|production reads DATABASE_URL, STAGING_DATABASE_URL,
PRODUCTION_DATABASE_URL; --database-url overrides. Settings: audifi-db.toml and
AUDIFI_DB_<SECTION>_<KEY> variables."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audifi-db",
        description="AudiFi's PostgreSQL schema: forward-only SQL migrations, from a laptop to production.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"audifi-db {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    # A command is one short burst that frees what it makes by reference counting; the
    # cyclic collector would only re-walk imports and parse trees (10% of a lint).
    gc.disable()
    args = build_parser().parse_args(argv)
    from ..errors import AudiFiDbError

    try:
        return args.run(args)
    except AudiFiDbError as error:
        from .output import report_error

        report_error(error, json_mode=getattr(args, "json", False))
        return error.exit_code
    except KeyboardInterrupt:
        print("audifi-db: interrupted", file=sys.stderr)
        return 130
