"""`audifi-db`: parse the command line, call the library, render, exit with a documented code.

Only the chosen command's module is imported (every call of `audifi-db status` pays for
every import); `--help`, a bare `audifi-db` and a mistyped command build the whole parser.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
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
# Flags every database command takes; accepted before the command too (`--env staging status`).
GLOBAL_FLAGS = {
    "--env": True,
    "--database-url": True,
    "--json": False,
    "--log-format": True,
    "--log-file": True,
}

EPILOG = """exit codes:
  0  success (status: the database is in sync)
  1  the work failed: a migration failed, lint errors, not in sync, changed or missing
     migrations, a failed migration awaiting `resolve`, a guard refused the run (lint,
     staging first, backup), the lock held by another run
  2  usage or configuration error, bad migration file, database unreachable or refusing us
  130 interrupted (Ctrl-C)
  141 stdout closed early (e.g. piped into head)

environments: --env local|staging|production reads DATABASE_URL, STAGING_DATABASE_URL,
PRODUCTION_DATABASE_URL; --database-url overrides. Settings: audifi-db.toml and
AUDIFI_DB_<SECTION>_<KEY> variables."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audifi-db",
        description="AudiFi's PostgreSQL schema: forward-only SQL migrations, from a laptop to production.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"audifi-db {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in [only] if only else COMMANDS:
        importlib.import_module(f"{__package__}.{name}").add_parser(subparsers)
    return parser


def hoist_global_flags(argv: list[str]) -> list[str]:
    """Move the database flags given before the command to after it."""
    before, rest = [], list(argv)
    while rest and rest[0].startswith("-"):
        flag = rest[0].split("=", 1)[0]
        if flag not in GLOBAL_FLAGS:
            return argv
        takes_value = GLOBAL_FLAGS[flag] and "=" not in rest[0]
        count = 2 if takes_value else 1
        before += rest[:count]
        rest = rest[count:]
    if not before or not rest:
        return argv
    return [rest[0], *before, *rest[1:]]


def unknown_command(word: str) -> str:
    import difflib

    close = difflib.get_close_matches(word, COMMANDS, n=1)
    suggestion = f" (did you mean {close[0]}?)" if close else ""
    return f"audifi-db: error: unknown command {word!r}{suggestion}; see `audifi-db --help`"


def main(argv: list[str] | None = None) -> int:
    # A command is one short burst that frees what it makes by reference counting; the
    # cyclic collector would only re-walk imports and parse trees (10% of a lint).
    gc.disable()
    argv = hoist_global_flags(sys.argv[1:] if argv is None else list(argv))
    if not argv:
        build_parser().print_help()
        return 0
    command = argv[0]
    if not command.startswith("-") and command not in COMMANDS:
        print(unknown_command(command), file=sys.stderr)
        return 2
    args = build_parser(command if command in COMMANDS else None).parse_args(argv)
    try:
        code = run(args)
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
        return code
    except BrokenPipeError:
        # The reader went away (`| head`): no traceback; stdout is dropped so that the
        # interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def run(args: argparse.Namespace) -> int:
    from ..errors import AudiFiDbError
    from .output import LOG_FORMAT

    LOG_FORMAT[0] = getattr(args, "log_format", "text")
    try:
        return args.run(args)
    except AudiFiDbError as error:
        from .output import report_error

        report_error(error, json_mode=getattr(args, "json", False))
        return error.exit_code
    except KeyboardInterrupt:
        print("audifi-db: interrupted", file=sys.stderr)
        return 130
