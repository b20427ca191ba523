"""How the CLI talks: human lines on a terminal, JSON with --json, annotations in GitHub Actions.

The only place (with the command modules) that prints. Rich is imported only for a terminal.
The run's output is made by listeners of its events: `HumanPrinter` for people, `JsonLines`
for machines (`--json` on stdout, `--log-format json` on stderr, `--log-file FILE`).
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, TYPE_CHECKING

from ..errors import AudiFiDbError, RefusedError

if TYPE_CHECKING:  # events are imported by the commands that run something, not by status
    from .. import events

# Set by main from --log-format: "json" turns the notes on stderr into JSON lines too.
LOG_FORMAT = ["text"]


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def info(message: str) -> None:
    """A note for the human on stderr, never mixed into stdout's data."""
    if LOG_FORMAT[0] == "json":
        _json_line(sys.stderr, {"level": "info", "message": message})
    else:
        print(f"audifi-db: {message}", file=sys.stderr, flush=True)


def _warn_backup_on_runner(file: str) -> None:
    """A dump kept only on a GitHub Actions runner: a hosted runner's disk goes with the job."""
    from ..github import annotation

    message = (
        f"the backup {file} is only on this runner's disk, which a GitHub-hosted runner "
        "loses when the job ends: set [backup] s3_url (README, Backups)"
    )
    info(f"warning: {message}")
    # stderr, like info(): the runner reads workflow commands there too, and stdout stays data
    print(annotation(message, title="audifi-db backup", level="warning"), file=sys.stderr)


def announce(settings) -> None:
    """The line every database command starts with: which database, password hidden."""
    info(f"{settings.environment}: {settings.url_for_humans}")


def print_json(data: object) -> None:
    print(json.dumps(data, indent=2, default=str))


def report_error(error: AudiFiDbError, *, json_mode: bool = False) -> None:
    """The one line an error gets on stderr (and its JSON envelope on stdout with --json)."""
    if json_mode:
        _json_line(sys.stdout, {"ok": False, **error.to_json()})
    if LOG_FORMAT[0] == "json":
        _json_line(sys.stderr, {"level": "error", **error.to_json()})
    else:
        line = f"audifi-db: error: {error.message}"
        if error.hint:
            line += f" — {error.hint}"
        print(line, file=sys.stderr)
    if in_github_actions():
        print(f"::error title=audifi-db::{escape_annotation(str(error))}", file=sys.stderr)


def confirm(command: str, question: str, *, force: bool) -> bool:
    """A yes/no question on the terminal for a destructive command; `force` answers yes.
    No terminal to ask is an error naming --force; Ctrl-D or Ctrl-C answers no."""
    if force:
        return True
    if not sys.stdin.isatty():
        raise RefusedError(
            f"{command} needs confirmation and there is no terminal to ask", "pass --force"
        )
    try:
        answer = input(f"{question} [y/N] ")
    except (EOFError, KeyboardInterrupt):
        print()
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def show_findings(findings: list) -> None:
    """A lint report: annotations in GitHub Actions, text elsewhere."""
    from ..lint import report

    print(report.render(findings, "github" if in_github_actions() else "text"))


def findings_json(findings: list) -> list[dict]:
    return [finding.to_json() for finding in findings]


def escape_annotation(text: str) -> str:
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
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
        for row in [headers, *rows]
    ]
    sys.stdout.write("\n".join(lines) + "\n")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _json_line(stream: IO[str], data: dict) -> None:
    stream.write(json.dumps(data, default=str) + "\n")
    stream.flush()


class JsonLines:
    """A listener writing each event as one JSON line (docs/events.md) to a stream."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.ended = False  # saw run_finished or run_failed

    def on_event(self, event: events.Event) -> None:
        _json_line(self.stream, event.to_json())
        if event.NAME in ("run_finished", "run_failed"):
            self.ended = True

    def close(self) -> None:
        if self.stream not in (sys.stdout, sys.stderr):
            self.stream.close()


class HumanPrinter:
    """A listener printing a run for people: results on stdout, notes on stderr."""

    def __init__(self) -> None:
        self.command = ""
        # the backup's own lines said what the backup guard's note would: no note after them
        self.backup_lines_shown = False
        # a backup finished: a backup_failed after it is a warning about that backup (the
        # WAL switch after a restore point); before it, the command's error line says it all
        self.backup_finished = False
        self.backfills = None  # a backfill_progress.BackfillProgress once a backfill reports

    def on_event(self, event: events.Event) -> None:
        handler = getattr(self, f"_{event.NAME}", None)
        if handler is not None:
            handler(event)

    def _run_started(self, event: events.RunStarted) -> None:
        self.command = event.command

    def _lock_waiting(self, event: events.LockWaiting) -> None:
        info(f"waiting for the migration lock held by {event.holder or 'another run'}")

    def _lock_acquired(self, event: events.LockAcquired) -> None:
        if event.waited_ms >= 1000:
            info(f"got the migration lock after {event.waited_ms / 1000:.1f} s")

    def _guard_overridden(self, event: events.GuardOverridden) -> None:
        info(f"{event.guard} guard overridden by {event.by}: {event.reason}")

    def _guard_passed(self, event: events.GuardPassed) -> None:
        quiet = ("plan", "lint", "backup") if self.backup_lines_shown else ("plan", "lint")
        if event.guard not in quiet and event.note:
            info(f"{event.guard}: {event.note}")

    def _backup_started(self, event: events.BackupStarted) -> None:
        if event.method == "restore-point":
            info(f"backup: WAL archiving works; creating restore point {event.file}")
        else:
            info(f"backup: dumping {event.target.database} to {event.file} with {event.tool}")

    def _backup_finished(self, event: events.BackupFinished) -> None:
        from .progress import size

        what = size(event.size_bytes) if event.size_bytes else "restore point"
        where = f", uploaded to {event.uploaded_to}" if event.uploaded_to else ""
        info(f"backup: {event.file} ({what}, {event.duration_ms / 1000:.1f} s{where})")
        self.backup_lines_shown = self.backup_finished = True
        if event.size_bytes and not event.uploaded_to and in_github_actions():
            _warn_backup_on_runner(event.file)

    def _backup_failed(self, event: events.BackupFailed) -> None:
        if self.backup_finished:
            info(f"warning: {event.message} — {event.hint}")

    def _migration_started(self, event: events.MigrationStarted) -> None:
        if event.retry or event.start:
            where = f" from statement {event.start + 1}" if event.start else ""
            info(f"retrying {event.version}_{event.name}{where} (its last attempt failed)")

    def _index_healed(self, event: events.IndexHealed) -> None:
        if event.dropped:
            info(
                f"healed: dropped INVALID index {event.index} (a failed build of it, ours or "
                "by hand); building it again"
            )
        else:
            info(f"index {event.index} was built after all; skipping its CREATE INDEX")

    def _lock_timeout(self, event: events.LockTimedOut) -> None:
        from ..model import who_blocked

        then = (
            f"retrying in {event.retry_in_ms} ms"
            if event.retry_in_ms is not None
            else "giving up: [online] retry_deadline_seconds has passed"
        )
        info(
            f"{event.version}: statement {event.statement} (line {event.line}) timed out waiting "
            f"for a lock held by {who_blocked(event.blockers)} (attempt {event.attempt}); "
            f"{then}"
        )

    def _backfill_progress(self, event: events.BackfillProgress) -> None:
        if self.backfills is None:
            from .backfill_progress import BackfillProgress

            self.backfills = BackfillProgress()
        self.backfills.show(event)

    def _backfill_paused(self, event: events.BackfillPaused) -> None:
        info(
            f"backfill of {event.table} paused: replica {event.replica} is "
            f"{event.lag_seconds:.1f} s behind (over {event.max_lag_seconds:g} s)"
        )

    def _replica_lag_unseen(self, event: events.ReplicaLagUnseen) -> None:
        info(
            f"warning: backfill of {event.table} cannot see the lag of "
            f"{plural(event.replicas, 'streaming replica')} and will not pause for them: "
            "grant the deploying role pg_monitor"
        )

    def _migration_applied(self, event: events.MigrationApplied) -> None:
        if self.command == "seed":
            return  # `seed` prints its own lines, one per file, loaded or not
        print(
            f"applied  {event.version}_{event.name}  {event.duration_ms} ms  "
            f"({plural(event.statements, 'statement')}, {plural(event.rows_affected, 'row')})",
            flush=True,
        )

    def _migration_failed(self, event: events.MigrationFailed) -> None:
        print(
            f"FAILED   {event.version}_{event.name}  at {event.path}:{event.line} "
            f"(statement {event.statement} of {event.statements})",
            flush=True,
        )


# the events it has a handler for (`_<event name>`): the fan-out wakes it for those alone
HumanPrinter.EVENTS = frozenset(  # type: ignore[attr-defined]
    name[1:] for name in vars(HumanPrinter) if name.startswith("_") and not name.startswith("__")
)


def log_listeners(args) -> list:
    """The listeners --log-format json and --log-file ask for."""
    listeners: list = []
    if args.log_format == "json":
        listeners.append(JsonLines(sys.stderr))
    if args.log_file:
        listeners.append(JsonLines(open(args.log_file, "a", encoding="utf-8")))  # noqa: SIM115
    return listeners
