"""How the CLI talks: human lines on a terminal, JSON with --json, annotations in GitHub Actions.

The only place (with the command modules) that prints. Rich is imported only for a terminal.
"""

from __future__ import annotations

import json
import os
import sys

from .. import events
from ..errors import AudiFiDbError


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def info(message: str) -> None:
    """A note for the human on stderr, never mixed into stdout's data."""
    print(f"audifi-db: {message}", file=sys.stderr)


def print_json(data: object) -> None:
    print(json.dumps(data, indent=2, default=str))


def report_error(error: AudiFiDbError, *, json_mode: bool = False) -> None:
    if json_mode:
        print_json({"ok": False, **error.to_json()})
    line = f"audifi-db: error: {error.message}"
    if error.hint:
        line += f" — {error.hint}"
    print(line, file=sys.stderr)
    if in_github_actions():
        print(f"::error title=audifi-db::{_escape(str(error))}", file=sys.stderr)


def show_findings(findings: list) -> None:
    """A lint report: annotations in GitHub Actions, text elsewhere."""
    from ..lint import report

    print(report.render(findings, "github" if in_github_actions() else "text"))


def findings_json(findings: list) -> list[dict]:
    return [finding.to_json() for finding in findings]


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def table(headers: list[str], rows: list[list[str]]) -> None:
    """A table: rich on a terminal, aligned plain text otherwise (cheaper, pipe-friendly)."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        rich_table = Table(*headers, box=None, header_style="bold")
        for row in rows:
            rich_table.add_row(*row)
        Console().print(rich_table)
        return
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]
    for row in [headers, *rows]:
        print(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)
            ).rstrip()
        )


class RunPrinter:
    """An EventSink that prints each migration as it completes (human mode)."""

    def emit(self, event: events.Event) -> None:
        if isinstance(event, events.LockWaiting):
            info(f"waiting for the migration lock held by {event.holder or 'another run'}")
        elif isinstance(event, events.MigrationStarted) and (event.retry or event.start):
            where = f" from statement {event.start + 1}" if event.start else ""
            info(f"retrying {event.version}_{event.name}{where} (its last attempt failed)")
        elif isinstance(event, events.IndexHealed) and event.dropped:
            info(
                f"healed: dropped INVALID index {event.index} left by a failed "
                "CREATE INDEX CONCURRENTLY; retrying it"
            )
        elif isinstance(event, events.IndexHealed):
            info(f"index {event.index} was built after all; skipping its CREATE INDEX")
        elif isinstance(event, events.MigrationApplied):
            print(
                f"applied  {event.version}_{event.name}  {event.duration_ms} ms  "
                f"({event.statements} statements, {event.rows_affected} rows)",
                flush=True,
            )
        elif isinstance(event, events.MigrationFailed):
            print(
                f"FAILED   {event.version}_{event.name}  at {event.path}:{event.line} "
                f"(statement {event.statement} of {event.statements})",
                flush=True,
            )


class RunRecorder:
    """An EventSink that keeps the events, for --json output."""

    def __init__(self) -> None:
        self.events: list[events.Event] = []

    def emit(self, event: events.Event) -> None:
        self.events.append(event)

    def as_json(self) -> list[dict]:
        return [{"event": type(e).__name__, **vars(e)} for e in self.events]
