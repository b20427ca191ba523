"""`audifi-db report --html FILE [--env NAME…]`: one self-contained HTML page of each
environment's state, recent runs, locks and waits, sizes and pending lint findings."""

from __future__ import annotations

from .options import command_parser


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "report",
        "write an HTML report (no script, prints well) of every configured environment: "
        "state, recent runs, locks and who waited, rows and sizes, pending lint findings",
        run,
        database=False,
    )
    parser.add_argument("--html", required=True, metavar="FILE", help="where to write the page")
    parser.add_argument(
        "--env",
        action="append",
        metavar="NAME",
        help="an environment to report (repeatable; default: every configured one)",
    )
    parser.add_argument(
        "--database-url", metavar="URL", help="the URL of the one environment given by --env"
    )


def run(args) -> int:
    from datetime import UTC, datetime

    from ..config import environment_names
    from ..errors import ConfigError
    from ..observe.html import render
    from .output import info

    known = environment_names()
    names = args.env or list(known)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(f"unknown environment {unknown[0]!r}", f"use one of: {', '.join(known)}")
    if args.database_url and len(names) != 1:
        raise ConfigError("--database-url needs exactly one --env", "e.g. --env staging")
    reports = [_report(name, args.database_url) for name in names]
    page = render(reports, datetime.now(UTC))
    try:
        with open(args.html, "w", encoding="utf-8") as out:
            out.write(page)
    except OSError as exc:
        raise ConfigError(f"cannot write {args.html}: {exc.strerror or exc}") from None
    info(f"report of {', '.join(names)} written to {args.html}")
    return 0


def _report(environment: str, url: str | None):
    """One environment's report; an environment whose URL is not set is shown as such."""
    from ..config import load_settings
    from ..errors import ConfigError
    from ..operations import EnvironmentReport, environment_report

    try:
        settings = load_settings(environment, url)
    except ConfigError as error:
        return EnvironmentReport(environment, problem=str(error), configured=False)
    if settings.database_url is None and not settings.embedded.data_dir.exists():
        return EnvironmentReport(
            environment,
            problem="DATABASE_URL is not set and there is no embedded database yet",
            configured=False,
        )
    return environment_report(settings)
