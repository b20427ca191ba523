"""`audifi-db status [--json]`: every migration's state; exit 0 only when in sync."""

from __future__ import annotations

from ..model import DONE_STATES, State
from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    command_parser(
        subparsers,
        "status",
        "show every migration's state (applied, pending, failed, in_progress, changed, missing); "
        "exit 0 only when the database is in sync",
        run,
    )


def run(args) -> int:
    from ..operations import status
    from .output import info, print_json, table

    settings = settings_from(args)
    info(f"{settings.environment}: {settings.url_for_humans}")
    report = status(settings)
    rows = [[item.version, item.name, item.state, _when(item)] for item in report.migrations]
    counts = ", ".join(f"{n} {state}" for state, n in report.counts().items() if n)
    counts = f"{len(report.migrations)} migrations: {counts or 'none'}"
    if args.json:
        print_json(report.to_json())
    else:
        table(["version", "name", "state", "applied at / note"], rows)
        print(f"{counts} — {'in sync' if report.in_sync else 'NOT in sync'}")
        if next_step := report.next_step():
            print(next_step)
    from .github import annotate, append_summary, status_annotations, status_markdown

    annotate(lambda: status_annotations(report), json_mode=args.json)
    append_summary(lambda: status_markdown(report, rows, counts))
    return 0 if report.in_sync else 1


def _when(item) -> str:
    note = _state_note(item)
    if item.last is None or not item.last.notes:
        return note
    from ..operations.inspect import overrides

    return "; ".join(filter(None, [note, *overrides(item)]))


def _state_note(item) -> str:
    last, state = item.last, item.state  # members compared, not `.value`: a row each
    if state in (State.FAILED, State.IN_PROGRESS) and last:
        return f"stopped at statement {last.statements_applied + 1} of {last.statements_total}"
    if state is State.CHANGED:
        return "file edited since it was applied"
    if state is State.MISSING:
        return "file is gone"
    if last and last.finished_at and state in DONE_STATES:
        baselined = " (baselined)" if state is State.BASELINED else ""
        return last.finished_at.isoformat(" ", "seconds")[:19] + baselined
    return ""
