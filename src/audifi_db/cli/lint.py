"""`audifi-db lint`: the migration safety linter; exit 1 on an unacknowledged error."""

from __future__ import annotations

import argparse
from pathlib import Path

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
        help="SQL files to lint, no database needed; none: the migrations not yet applied to --env",
    )
    parser.add_argument("--format", choices=FORMATS, help="text (default), json or github")
    parser.add_argument(
        "--explain",
        metavar="FILE",
        help="list each statement's lock per relation, and whether it rewrites or scans",
    )
    parser.add_argument(
        "--server-version",
        metavar="N",
        help="PostgreSQL version to judge against, e.g. 15 (default: [lint] server_version, "
        "else the newest known)",
    )


def run(args: argparse.Namespace) -> int:
    from .. import discovery
    from ..lint import engine, report
    from ..lint.files import lint_files

    fmt = args.format or ("json" if args.json else "text")
    if args.explain:
        text = discovery.read_sql(Path(args.explain))
        explained = engine.explain_source(args.explain, text, _server_version(args))
        print(report.explain(args.explain, explained, fmt))
        return 0
    if args.paths:
        findings = lint_files(_sql_paths(args.paths), _server_version(args))
    else:
        from ..operations import lint_pending

        findings = lint_pending(settings_from(args), _flag_version(args))
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


def _server_version(args: argparse.Namespace) -> int:
    """For files: the flag, else [lint] server_version, else the newest known."""
    from ..lint import engine

    configured = settings_from(args).lint.server_version
    return _flag_version(args) or configured or engine.NEWEST_SERVER_VERSION
