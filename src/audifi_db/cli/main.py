"""`audifi-db`: parse the command line, call the library, render, exit with a documented code.

Only the chosen command's module is imported (every call of `audifi-db status` pays for
every import); `--help`, a bare `audifi-db` and a mistyped command build the whole parser.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import signal
import sys

from .. import __version__
from ..errors import UsageError

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
    "backup",
    "restore",
    "baseline",
    "db",
    "dump-schema",
    "embedded",
    "check",
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
  0    success (status: the database is in sync)
  1    the work failed: a migration failed, lint errors, not in sync, changed or missing
       migrations, a failed migration awaiting `resolve`, a guard refused the run (plan,
       lint, staging first, backup: nothing applied), `reset` refused by a schema it cannot
       account for (nothing dropped), the migration lock held by another
       run past the wait, a backup that does not verify, a restore refused (no or wrong
       `--confirm`, a file that does not match its manifest) or failed (nothing changed);
       `check`: a conflict with the base branch (an edited, deleted or renamed migration,
       two with one version, a new one not newer than the base's newest)
  2    usage or configuration error, a bad migration file (a syntax error too, except
       under `lint`, which reports it as a lint error: exit 1), a backup file that is
       missing or unreadable, the database unreachable or refusing us, a command refused
       for the environment; `check`: not a git repository, a base that does not resolve,
       no CREATEDB
  130  interrupted (Ctrl-C, or SIGTERM: a cancelled CI job, a stopped container); the
       running statement is cancelled and recorded as failed
  141  stdout closed early (e.g. piped into head)

environments: --env local|staging|production reads DATABASE_URL, STAGING_DATABASE_URL,
PRODUCTION_DATABASE_URL; --database-url overrides. Settings: audifi-db.toml and
AUDIFI_DB_<SECTION>_<KEY> variables."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are ours: one line, exit 2, the JSON envelope."""

    def error(self, message: str):  # type: ignore[override]
        command = self.prog.partition(" ")[2]
        where = f"{command}: " if command else ""
        raise UsageError(f"{where}{message}", f"see `{self.prog} --help`")

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse builds a formatter for every add_argument, and without a width it imports
        # shutil (with bz2, lzma, zlib) to ask the terminal's: 3 ms of every command's start
        return self.formatter_class(prog=self.prog, width=_help_width())


def _help_width() -> int:
    """What argparse would use: $COLUMNS, else the terminal's columns, else 80; less 2."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 80
    return (columns or 80) - 2


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = Parser(
        prog="audifi-db",
        description="AudiFi's PostgreSQL schema: forward-only SQL migrations, from a laptop to production.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"audifi-db {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in [only] if only else COMMANDS:
        module = importlib.import_module(f"{__package__}.{name.replace('-', '_')}")
        module.add_parser(subparsers)
    return parser


def hoist_global_flags(argv: list[str]) -> list[str]:
    """Move the database flags given before the command to the end of the line."""
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
    return [*rest, *before]  # at the end: after `db create` too


def unknown_command(word: str) -> UsageError:
    import difflib

    close = difflib.get_close_matches(word, COMMANDS, n=1)
    suggestion = f" (did you mean {close[0]}?)" if close else ""
    return UsageError(f"unknown command {word!r}{suggestion}", "see `audifi-db --help`")


def main(argv: list[str] | None = None) -> int:
    # A command is one short burst that frees what it makes by reference counting; the
    # cyclic collector would only re-walk imports and parse trees (10% of a lint).
    gc.disable()
    _terminate_as_interrupt()
    argv = hoist_global_flags(sys.argv[1:] if argv is None else list(argv))
    if not argv:
        build_parser().print_help()
        return 0
    command = argv[0]
    try:
        if not command.startswith("-") and command not in COMMANDS:
            raise unknown_command(command)
        args = build_parser(command if command in COMMANDS else None).parse_args(argv)
    except UsageError as error:
        from .output import report_error

        report_error(error, json_mode="--json" in argv)
        return error.exit_code
    try:
        code = run(args)
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
        return code
    except BrokenPipeError:
        # The reader went away (`| head`): no traceback; stdout is dropped so that the
        # interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _terminate_as_interrupt() -> None:
    """Take SIGTERM as Ctrl-C: the running statement is cancelled on the server, what the
    command started is cleaned up (a throwaway database, a partial backup), exit 130.
    Without this, SIGTERM ends the process where it stands. Left alone when ignored."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)


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
