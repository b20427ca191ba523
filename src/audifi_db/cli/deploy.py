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
        help="print the plan and each migration's SQL; change nothing",
    )


def run(args) -> int:
    from ..operations import deploy

    settings = settings_from(args)
    if args.dry_run:
        return show_plan(args, settings)
    return run_and_render(args, settings, deploy)


def run_and_render(args, settings, operation) -> int:
    """Run a deploy-like operation, printing progress (or one JSON object at the end)."""
    from ..errors import AudiFiDbError, LintFailed
    from .output import (
        RunPrinter,
        RunRecorder,
        findings_json,
        info,
        print_json,
        report_error,
        show_findings,
    )

    info(f"{settings.environment}: {settings.url_for_humans}")
    sink = RunRecorder() if args.json else RunPrinter()
    try:
        result = operation(settings, sink)
    except AudiFiDbError as error:
        if isinstance(error, LintFailed) and not args.json:
            show_findings(error.findings)
        if args.json:
            extra = (
                {"findings": findings_json(error.findings)} if isinstance(error, LintFailed) else {}
            )
            print_json({"ok": False, **error.to_json(), **extra, "events": sink.as_json()})
            report_error(error)
            return error.exit_code
        raise
    if args.json:
        print_json({"ok": True, "applied": result.applied, "events": sink.as_json()})
    elif result.applied == 0:
        print("nothing to apply: the database is up to date")
    else:
        print(f"{result.applied} migration(s) applied")
    return 0


def show_plan(args, settings) -> int:
    from ..operations import deploy
    from .output import RunRecorder, info, print_json

    info(f"{settings.environment}: {settings.url_for_humans} (dry run: nothing is executed)")
    result = deploy(settings, RunRecorder(), dry_run=True)
    steps = result.plan.steps
    if args.json:
        print_json(
            {
                "ok": True,
                "dry_run": True,
                "steps": [
                    {
                        "version": s.migration.version,
                        "name": s.migration.name,
                        "transactional": s.migration.transactional,
                        "start": s.start,
                        "sql": s.migration.sql,
                    }
                    for s in steps
                ],
            }
        )
        return 0
    if not steps:
        print("nothing to apply: the database is up to date")
    for step in steps:
        mode = "one transaction" if step.migration.transactional else "no transaction"
        count = len(result.statements[step.migration.version])
        print(f"-- would apply {step.migration.filename} ({mode}, {count} statements)")
        print(step.migration.sql.rstrip() + "\n")
    return 0
