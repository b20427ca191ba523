"""The GitHub Actions step summary: a Markdown table of the run, appended to the file that
`$GITHUB_STEP_SUMMARY` names when the run ends (GitHub shows it on the workflow run's page)."""

from __future__ import annotations

from collections.abc import Callable

from .. import events, github
from . import RUN_SUMMARY_EVENTS, observed
from .markup import size


def cell(text: object) -> str:
    """github.cell (pipes escaped, line breaks as <br>) of text whose own < and > stay text:
    a statement's `<script>` is shown, not dropped by GitHub's sanitizer."""
    return github.cell(str(text).replace("<", "&lt;").replace(">", "&gt;"))


class StepSummary:
    """Listener writing one Markdown section per run to the step summary file."""

    EVENTS = RUN_SUMMARY_EVENTS

    def __init__(self, path: str, report: Callable[[str], None]) -> None:
        self.path, self.report = path, report
        self.started: events.RunStarted | None = None
        self.rows: list[str] = []

    def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.RunStarted):
            self.started, self.rows = (event if observed(event) else None), []
        elif isinstance(event, events.MigrationApplied):
            self.rows.append(_applied_row(event))
        elif isinstance(event, events.MigrationFailed):
            where = f"{event.path}:{event.line}, statement {event.statement}"
            self.rows.append(
                f"| {cell(event.version + '_' + event.name)} | ❌ failed at {cell(where)}: "
                f"{cell(event.error)} | {event.duration_ms} ms | | | |"
            )
        elif isinstance(event, events.RunFinished | events.RunFailed) and self.started:
            self._write(event)

    def _write(self, ended: events.RunFinished | events.RunFailed) -> None:
        assert self.started is not None
        target = self.started.target
        lines = [
            f"### audifi-db {cell(ended.command)}: {cell(target.environment)} "
            f"({cell(target.database)})",
            "",
        ]
        if self.rows:
            lines += [
                "| migration | result | duration | rows | locks | indexes built |",
                "|---|---|---|---|---|---|",
                *self.rows,
                "",
            ]
        if isinstance(ended, events.RunFinished):
            lines.append(f"**{ended.applied} applied** in {ended.duration_ms / 1000:.1f} s")
        else:
            lines.append(f"**failed** after {ended.applied} applied: {cell(ended.message)}")
        try:
            with open(self.path, "a", encoding="utf-8") as summary:
                summary.write("\n".join(lines) + "\n\n")
        except OSError as exc:
            self.report(f"step summary not written to {self.path}: {exc.strerror or exc}")


def _applied_row(event: events.MigrationApplied) -> str:
    measured = event.measurements or {}
    locks = ", ".join(
        f"{lock['mode'].removesuffix('Lock')} on {lock['relation']}"
        for lock in measured.get("locks", [])
        if lock.get("kind") == "table"
    )
    built = ", ".join(
        f"{index['index']} ({size(index.get('bytes'))})" for index in measured.get("indexes", [])
    )
    return (
        f"| {cell(event.version + '_' + event.name)} | ✅ applied | {event.duration_ms} ms | "
        f"{event.rows_affected} | {cell(locks)} | {cell(built)} |"
    )
