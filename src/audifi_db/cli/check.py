"""`audifi-db check [--base REF]`: what a pull request's migrations must pass; exit 0 only
when all of it does."""

from __future__ import annotations

import argparse

from .options import command_parser, settings_from

HELP = (
    "for a pull request: compare the migrations with the base branch (no edit, deletion or "
    "rename of one it has, no two with one version, new ones newer than its newest), lint the "
    "new and changed ones, apply all from empty to a throwaway database (created and dropped "
    "on the configured server); exit 1 on any conflict, lint error or failure"
)


def add_parser(subparsers) -> None:
    parser = command_parser(subparsers, "check", HELP, run)
    parser.add_argument(
        "--base",
        metavar="REF",
        help="the base branch (default: origin/main, else main); changes count from its merge "
        "base with HEAD, and new migrations must be newer than its newest",
    )


def run(args: argparse.Namespace) -> int:
    from ..check import check
    from ..check_report import annotations, markdown, text, to_json
    from .github import annotate, append_summary
    from .output import info, print_json

    settings = settings_from(args)
    info(f"check: a throwaway database on {settings.url_for_humans}")
    report = check(settings, args.base)
    if args.json:
        print_json(to_json(report))
    else:
        print(text(report))
    annotate(lambda: annotations(report), json_mode=args.json)
    append_summary(lambda: markdown(report))
    return 0 if report.ok else 1
