"""`audifi-db status [--json]`: every migration's state; exit 0 only when in sync."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    command_parser(
        subparsers,
        "status",
        "show every migration's state (applied, pending, failed, in_progress, changed, missing); "
        "exit 0 only when the database is in sync",
        run,
    )


def migration_json(item) -> dict:
    last = item.last
    return {
        "version": item.version,
        "name": item.name,
        "state": item.state.value,
        "file": item.migration.path if item.migration else None,
        "checksum": item.migration.checksum if item.migration else None,
        "applied_checksum": last.checksum if last else None,
        "transactional": item.migration.transactional if item.migration else last.transactional,
        "started_at": last.started_at.isoformat() if last and last.started_at else None,
        "finished_at": last.finished_at.isoformat() if last and last.finished_at else None,
        "duration_ms": last.duration_ms if last else None,
        "statements_applied": last.statements_applied if last else None,
        "statements_total": last.statements_total if last else None,
        "error": last.error if last and item.state.value in ("failed", "in_progress") else None,
        "failed_line": last.failed_line if last else None,
        "applied_by": last.applied_by if last else None,
    }


def run(args) -> int:
    from ..operations import status
    from .output import info, print_json, table

    settings = settings_from(args)
    info(f"{settings.environment}: {settings.url_for_humans}")
    report = status(settings)
    if args.json:
        print_json(
            {
                "environment": report.environment,
                "database": report.database,
                "in_sync": report.in_sync,
                "counts": report.counts(),
                "migrations": [migration_json(item) for item in report.migrations],
            }
        )
    rows = [[item.version, item.name, item.state.value, _when(item)] for item in report.migrations]
    counts = ", ".join(f"{n} {state}" for state, n in report.counts().items() if n)
    counts = f"{len(report.migrations)} migrations: {counts or 'none'}"
    if not args.json:
        table(["version", "name", "state", "applied at / note"], rows)
        print(f"{counts} — {'in sync' if report.in_sync else 'NOT in sync'}")
    from .github import annotate, append_summary, status_annotations, status_markdown

    annotate(status_annotations(report), json_mode=args.json)
    append_summary(status_markdown(report, rows, counts))
    return 0 if report.in_sync else 1


def _when(item) -> str:
    last = item.last
    if item.state.value in ("failed", "in_progress") and last:
        return f"stopped at statement {last.statements_applied + 1} of {last.statements_total}"
    if item.state.value == "changed":
        return "file edited since it was applied"
    if item.state.value == "missing":
        return "file is gone"
    if last and last.finished_at and item.state.value == "applied":
        return last.finished_at.strftime("%Y-%m-%d %H:%M:%S")
    return ""
