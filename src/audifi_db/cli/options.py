"""Options shared by every command that touches a database, and Settings from them."""

from __future__ import annotations

import argparse

from ..config import Settings, load_settings

ENVIRONMENT_HELP = "local (default), staging or production; picks the URL variable and policy"


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default="local", metavar="NAME", help=ENVIRONMENT_HELP)
    parser.add_argument("--database-url", metavar="URL", help="overrides the environment's URL")
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="json: the run's events as JSON lines on stderr (docs/events.md)",
    )
    parser.add_argument("--log-file", metavar="FILE", help="append the run's events as JSON lines")


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(args.env, args.database_url)


def command_parser(subparsers, name: str, help_text: str, run, *, database: bool = True):
    """Register a sub-command whose handler is `run(args) -> int`."""
    from .main import EPILOG

    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if database:
        add_database_options(parser)
    parser.set_defaults(run=run)
    return parser


def command_group(subparsers, name: str, help_text: str):
    """Register a command of two words (`db create`): returns the subparsers its actions
    are registered in, with `command_parser`."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")
