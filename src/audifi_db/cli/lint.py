"""`audifi-db lint`: the migration safety linter; exit 1 on an unacknowledged error."""

from __future__ import annotations

import argparse

from .options import command_parser, settings_from

FORMATS = ("text", "json", "github")  # lint.report.FORMATS (a test keeps them equal)


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "lint",
        "check migrations for backward-incompatible or lock-heavy changes",
        run,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="SQL files or migration folders, no database needed (a folder: every migration "
        "in it, each against the schema the ones before it leave); none: the migrations not "
        "yet applied to --env, against its live schema",
    )
    parser.add_argument("--format", choices=FORMATS, help="text (default), json or github")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="per statement: the lock on each relation, whether it rewrites or scans, and "
        "the schema facts behind it",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="run the migrations on a scratch database (on --env's server, or the embedded "
        "one), read the locks and rewrites each statement really causes, and compare them "
        "with the prediction; the scratch database is dropped afterwards",
    )
    parser.add_argument(
        "--rules",
        action="store_true",
        help="print every rule's documentation (docs/rules.md) and exit",
    )
    parser.add_argument(
        "--new-since",
        metavar="VERSION",
        help="with folders: migrations from VERSION on are new, one run (what one creates is "
        "new for the next); older ones are only replayed",
    )
    parser.add_argument(
        "--server-version",
        metavar="N",
        help="PostgreSQL version to judge against, e.g. 15 (default: [lint] server_version, "
        "else the target database's with no PATH, else the newest known)",
    )


def run(args: argparse.Namespace) -> int:
    from ..lint import engine, report

    if args.rules:
        from ..lint.docs import render

        print(render(), end="")
        return 0
    fmt = args.format or ("json" if args.json else "text")
    settings = settings_from(args)
    if args.trace:
        return _trace(args, settings, fmt)
    if args.paths:
        from ..lint.files import Options, explain_paths, lint_paths
        from ..lint.schema import Session

        session = Session(settings.lint.search_path, settings.lint.timezone)
        options = Options(_server_version(args, settings), session, _new_since(args))
        paths = _sql_paths(args.paths)
        if args.explain:
            print(report.explain_files(explain_paths(paths, options), fmt))
            return 0
        findings = lint_paths(paths, options)
    else:
        from .. import operations
        from .output import info

        info(f"pending migrations of {settings.environment}: {settings.url_for_humans}")
        if args.explain:
            explained = operations.explain_pending(settings, _flag_version(args))
            print(report.explain_files(explained, fmt))
            return 0
        findings = operations.lint_pending(settings, _flag_version(args))
    output = report.render(findings, fmt)
    if output:
        print(output)
    return 1 if engine.blocking(findings) else 0


def _sql_paths(paths: list[str]) -> list[str]:
    """The paths to lint: a Python migration's SQL is made when it runs, so it is skipped."""
    from .output import info

    for path in paths:
        if path.endswith(".py"):
            info(f"{path}: not linted: a Python migration (its SQL is made when it runs)")
    return [path for path in paths if not path.endswith(".py")]


def _trace(args: argparse.Namespace, settings, fmt: str) -> int:
    from ..lint import engine, report
    from ..tracing import trace
    from .output import info

    info(f"tracing on a scratch database next to {settings.url_for_humans}")
    traced = trace(settings, args.paths, _flag_version(args), _new_since(args))
    print(report.trace(traced, fmt))
    return 1 if engine.blocking(t.finding for t in traced if t.finding) else 0


def _new_since(args: argparse.Namespace) -> str | None:
    from ..errors import ConfigError

    if args.new_since is not None and not args.new_since.isdigit():
        raise ConfigError(
            f"--new-since {args.new_since!r} is not a migration version",
            "give the version part of a file name, e.g. 20260101090000",
        )
    return args.new_since


def _flag_version(args: argparse.Namespace) -> int | None:
    from ..config import parse_server_version
    from ..errors import ConfigError

    if not args.server_version:
        return None
    try:
        return parse_server_version(args.server_version)
    except ValueError:
        raise ConfigError(
            f"--server-version {args.server_version!r} is not a PostgreSQL version",
            "write it as 15, 15.4 or 150004",
        ) from None


def _server_version(args: argparse.Namespace, settings) -> int:
    """For files: the flag, else [lint] server_version, else the newest known."""
    from ..lint import engine

    return _flag_version(args) or settings.lint.server_version or engine.NEWEST_SERVER_VERSION
