"""The CLI inside GitHub Actions: annotations on files and lines, and the job summary."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from ..github import annotation, code, table
from .output import in_github_actions, info


def annotate(build: Callable[[], str], *, json_mode: bool = False) -> None:
    """Print the workflow commands `build` makes when running in GitHub Actions (on stderr
    beside --json). Built only there: `status` over thousands of migrations pays otherwise."""
    if in_github_actions() and (lines := build()):
        print(lines, file=sys.stderr if json_mode else sys.stdout)


def append_summary(build: Callable[[], str]) -> None:
    """Append the Markdown `build` makes to the job summary when $GITHUB_STEP_SUMMARY names
    one (and only then build it)."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as out:
            out.write(build())
    except OSError as exc:
        info(f"warning: cannot write the job summary to {path}: {exc.strerror}")


NOT_IN_SYNC = {
    "failed": "failed",
    "in_progress": "stopped part-way (no-transaction migration)",
    "changed": "edited since it was applied",
    "missing": "applied, but its file is gone",
}


def status_annotations(report) -> str:
    """One error per migration that keeps the database out of sync, at its file and line."""
    lines = []
    for item in report.migrations:
        what = NOT_IN_SYNC.get(item.state.value)
        if what is None:
            continue
        last, file = item.last, item.migration.path if item.migration else None
        error = f": {last.error}" if last and last.error and item.state.value != "changed" else ""
        lines.append(
            annotation(
                f"migration {item.version}_{item.name} on {report.environment}: {what}{error}",
                file=file,
                line=last.failed_line if last else None,
                title=f"audifi-db status: {item.state.value}",
            )
        )
    return "\n".join(lines)


def status_markdown(report, rows: list[list[str]], counts: str) -> str:
    icon, verdict = ("✅", "in sync") if report.in_sync else ("❌", "NOT in sync")
    heading = f"## {icon} audifi-db status: {report.environment} is {verdict}"
    body = table(["version", "name", "state", "applied at / note"], rows, "Migrations")
    return f"{heading}\n\n{code(report.database)}: {counts}\n\n{body}\n"
