"""`audifi-db deploy [--dry-run]`: apply pending migrations, non-interactively."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "deploy",
        "apply pending migrations in version order; stop at the first failure",
        run,
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan, each migration's SQL and what every guard would say; "
        "change nothing (exit 1 if the real run would be refused)",
    )
    parser.add_argument(
        "--create-db", action="store_true", help="create the database first if it is missing"
    )
    parser.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="wait up to SECONDS for the database to accept connections (a line every 5 s)",
    )
    add_run_options(parser)


def add_run_options(parser) -> None:
    """The flags of a run (deploy, dev): its scope and the overrides a human may give."""
    parser.add_argument(
        "--target", metavar="VERSION", help="apply pending migrations up to and including VERSION"
    )
    parser.add_argument(
        "--allow-out-of-order",
        action="store_true",
        help="apply pending migrations older than the newest applied one (recorded in history)",
    )
    parser.add_argument(
        "--skip-backup",
        metavar="REASON",
        help="do not take the backup the environment's policy asks for; the reason is recorded",
    )
    parser.add_argument(
        "--skip-staging-check",
        metavar="REASON",
        help="deploy migrations that the required environment (staging) has not applied; "
        "the reason and who gave it are recorded",
    )
    parser.add_argument(
        "--staging-manifest",
        metavar="FILE",
        help="staging's history as written by `audifi-db status --env staging --json`, "
        "instead of STAGING_DATABASE_URL",
    )


def run_options(args, *, dry_run: bool = False):
    from ..model import RunOptions

    return RunOptions(
        dry_run=dry_run,
        up_to=args.target,
        allow_out_of_order=args.allow_out_of_order,
        skip_backup=args.skip_backup,
        skip_staging_check=args.skip_staging_check,
        staging_manifest=args.staging_manifest,
    )


def run(args) -> int:
    from functools import partial

    from ..operations import deploy

    options = run_options(args, dry_run=args.dry_run)
    settings = settings_from(args)
    wait_for_server(args, settings)
    if args.dry_run:
        return show_plan(args, settings, options)
    # --create-db inside the run: one fan-out, so one --log-file handle, sees every event
    return run_and_render(args, settings, partial(deploy, create_db=args.create_db), options)


def wait_for_server(args, settings) -> None:
    """--wait for the server (for --create-db, the server alone) before the run."""
    from ..errors import UsageError
    from ..operations import wait_for_database
    from .output import info

    if args.create_db and args.dry_run:
        raise UsageError(
            "deploy: --create-db changes the server and --dry-run changes nothing",
            "drop one of the two flags",
        )
    if args.wait:
        wait_for_database(settings, args.wait, info, server_only=args.create_db)


def listeners_for(args) -> tuple[list, object]:
    """The CLI's listeners for a run: its own output, then --log-format/--log-file ones.
    Returns (listeners, the stdout JSON listener or None)."""
    import sys

    from .output import HumanPrinter, JsonLines, log_listeners
    from .progress import ProgressBars

    stdout = JsonLines(sys.stdout) if args.json else None
    listeners: list = [stdout] if stdout else [HumanPrinter(), ProgressBars()]
    if not args.json and args.log_format == "text":
        from .running import StatementProgress

        listeners.append(StatementProgress(terminal=sys.stderr.isatty()))
    return listeners + log_listeners(args), stdout


def run_and_render(args, settings, operation, options=None) -> int:
    """Run a deploy-like operation, its listeners printing progress (or JSON lines)."""
    from ..errors import AudiFiDbError, LintFailedError
    from .output import info, report_error, show_findings

    info(f"{settings.environment}: {settings.url_for_humans}")
    listeners, stdout = listeners_for(args)
    kwargs = {"options": options} if options is not None else {}
    try:
        result = operation(settings, listeners, report=info, **kwargs)
    except AudiFiDbError as error:
        if isinstance(error, LintFailedError) and not args.json:
            show_findings(error.findings)
        report_error(error, json_mode=args.json and not stdout.ended)
        return error.exit_code
    if not args.json:
        if result.applied == 0:
            print("nothing to apply: the database is up to date")
        else:
            print(f"{result.applied} migration(s) applied")
    return 0


def show_plan(args, settings, options) -> int:
    from ..operations import deploy
    from .output import info, log_listeners, plural, print_json

    info(f"{settings.environment}: {settings.url_for_humans} (dry run: nothing is executed)")
    result = deploy(settings, log_listeners(args), options, report=info)
    refused = [v for v in result.verdicts if not v.passed]
    if args.json:
        print_json(
            {
                "ok": not refused,
                "dry_run": True,
                "steps": [
                    {
                        "version": s.migration.version,
                        "name": s.migration.name,
                        "transactional": s.migration.transactional,
                        "start": s.start,
                        "sql": s.migration.sql,
                    }
                    for s in result.plan.steps
                ],
                "guards": [
                    {
                        "guard": v.guard,
                        "passed": v.passed,
                        "note": v.note,
                        **(v.refusal.to_json() if v.refusal else {}),
                    }
                    for v in result.verdicts
                ],
            }
        )
        return 1 if refused else 0
    if not result.plan.steps:
        print("nothing to apply: the database is up to date")
    for step in result.plan.steps:
        mode = "one transaction" if step.migration.transactional else "no transaction"
        mode = "Python, " + mode if step.migration.is_python else mode
        count = len(result.statements[step.migration.version])
        print(f"-- would apply {step.migration.filename} ({mode}, {plural(count, 'statement')})")
        print(step.migration.sql.rstrip() + "\n")
    for verdict in result.verdicts:
        if verdict.passed:
            print(f"-- {verdict.guard}: ok{': ' + verdict.note if verdict.note else ''}")
        else:
            error = verdict.refusal
            print(f"-- {verdict.guard}: WOULD REFUSE: {error.message} — {error.hint}")
    if refused:
        print(f"the real deploy would be refused by: {', '.join(v.guard for v in refused)}")
    return 1 if refused else 0
