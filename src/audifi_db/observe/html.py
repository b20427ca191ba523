"""The HTML report (`audifi-db report --html FILE`): one self-contained page.

No script and no external file: styles inline, charts as inline SVG, so it opens offline,
works with JavaScript off and prints. Every string that came from SQL, the server or a
file is escaped (markup.esc): a statement holding `<script>` shows as that text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .. import __version__
from ..model import HistoryRow, State, who_blocked
from ..operations.report import EnvironmentReport
from .charts import timeline
from .markup import Html, duration, join, size, table, tag

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; color: #1b1b1b; margin: 2rem auto; max-width: 64rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #ddd; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
.meta, .empty { color: #555; } .problem { color: #b71c1c; font-weight: 600; }
.badge { display: inline-block; padding: .1rem .55rem; border-radius: 1rem; font-size: .8rem;
  font-weight: 600; vertical-align: middle; border: 1px solid currentColor; }
.ok { color: #1b5e20; background: #e8f5e9; } .warn { color: #8a4b00; background: #fff3e0; }
.bad { color: #b71c1c; background: #ffebee; } .off { color: #555; background: #eee; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td pre { margin: 0; white-space: pre-wrap; word-break: break-word; }
svg.timeline { max-width: 100%; height: auto; font: 11px system-ui, sans-serif; }
nav a { margin-right: 1rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; } nav { display: none; }
  section, table, svg { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
_PROBLEM_STATES = (State.FAILED, State.IN_PROGRESS, State.CHANGED, State.MISSING, State.PENDING)


def render(reports: Sequence[EnvironmentReport], generated_at: datetime) -> str:
    """The whole page for these environments."""
    nav = tag("nav", *(tag("a", r.environment, href=f"#env-{r.environment}") for r in reports))
    body = [
        tag("h1", "audifi-db report"),
        tag(
            "p",
            f"generated {generated_at:%Y-%m-%d %H:%M:%S %Z} by audifi-db {__version__}",
            class_="meta",
        ),
        nav,
        *(environment_section(r) for r in reports),
    ]
    head = tag(
        "head",
        Html('<meta charset="utf-8">'),
        tag("title", "audifi-db report"),
        tag("style", Html(STYLE)),
    )
    return "<!doctype html>\n" + tag("html", head, tag("body", *body), lang="en") + "\n"


def verdict(report: EnvironmentReport) -> tuple[str, str]:
    """(text, css class) of an environment's badge."""
    if report.status is None:
        return ("not configured" if not report.configured else "unreachable"), "off"
    counts = report.status.counts()
    if counts["failed"] or counts["in_progress"]:
        return "failed", "bad"
    if counts["changed"] or counts["missing"]:
        return "drifted checksums", "bad"
    if counts["pending"]:
        return f"{counts['pending']} pending", "warn"
    return "in sync", "ok"


def environment_section(report: EnvironmentReport) -> Html:
    text, css = verdict(report)
    parts: list[object] = [
        tag("h2", report.environment, " ", tag("span", text, class_=f"badge {css}")),
        tag("p", report.database, class_="meta"),
    ]
    if report.status is None:
        parts.append(tag("p", report.problem, class_="problem" if report.configured else "meta"))
        return tag("section", *parts, id=f"env-{report.environment}")
    counts = ", ".join(f"{n} {state}" for state, n in report.status.counts().items() if n)
    parts += [
        tag("p", f"{len(report.status.migrations)} migrations: {counts or 'none'}"),
        attention(report),
        tag("h3", "Recent runs"),
        timeline(report.recent) or tag("p", "no attempt recorded yet", class_="empty"),
        tag("h3", "Locks and who waited"),
        locks_table(report.recent),
        tag("h3", "Lock timeouts and retries"),
        lock_waits_table(report.recent),
        tag("h3", "Rows and sizes"),
        sizes_table(report.recent),
        tag("h3", "Failures"),
        failures_table(report.recent),
        tag("h3", "Lint findings of pending migrations"),
        findings_table(report.findings),
    ]
    return tag("section", *parts, id=f"env-{report.environment}")


def attention(report: EnvironmentReport) -> Html:
    """Migrations that are not simply applied."""
    assert report.status is not None
    rows = [
        [item.version, item.name, item.state.value, (item.last.error or "") if item.last else ""]
        for item in report.status.migrations
        if item.state in _PROBLEM_STATES
    ]
    return table(["version", "name", "state", "last error"], rows, "every migration is applied")


def _metrics(row: HistoryRow) -> dict[str, Any]:
    return dict(row.metrics or {})


def _who(row: HistoryRow) -> str:
    return f"{row.version}_{row.name}"


def locks_table(rows: Sequence[HistoryRow]) -> Html:
    """Each table lock an attempt held, and the sessions seen waiting on it."""
    out = []
    for row in rows:
        m = _metrics(row)
        locks = [lock for lock in m.get("locks", []) if lock.get("kind") == "table"]
        waiters = m.get("waiters", [])
        for lock in locks:
            mine = [w for w in waiters if w.get("waiting_for") == lock.get("relation")]
            out.append(
                [
                    _who(row),
                    lock.get("relation"),
                    lock.get("mode"),
                    duration(lock.get("held_ms")),
                    join(map(_waiter, mine), "; ") or "nobody seen",
                ]
            )
        held = {lock.get("relation") for lock in locks}
        for w in waiters:
            if w.get("waiting_for") not in held:
                out.append([_who(row), w.get("waiting_for"), "", "", _waiter(w)])
    return table(["migration", "relation", "mode", "held", "waiters"], out, "no lock recorded")


def lock_waits_table(rows: Sequence[HistoryRow]) -> Html:
    """Each attempt whose statements waited past lock_timeout: how many attempts it took,
    and the sessions that blocked it."""
    out = [
        [_who(row), row.state.value, waits.get("attempts"), who_blocked(waits.get("blockers", []))]
        for row in rows
        if (waits := _metrics(row).get("lock_waits"))
    ]
    return table(
        ["migration", "state", "attempts", "blocked by"],
        out,
        "no statement waited past lock_timeout",
    )


def _waiter(w: dict[str, Any]) -> str:
    return (
        f"pid {w.get('pid')} {w.get('user')} ({w.get('application') or 'no name'}) "
        f"wanted {w.get('mode')} for {duration(w.get('waited_ms'))}"
    )


def sizes_table(rows: Sequence[HistoryRow]) -> Html:
    """Rows changed per statement, tables before and after, indexes built."""
    out = []
    for row in rows:
        m = _metrics(row)
        per_statement = join(
            (
                f"statement {r['statement']} (line {r['line']}): {r['rows']}"
                for r in m.get("rows", [])
            ),
            "; ",
        )
        tables = join((_table_change(t) for t in m.get("tables", [])), "; ")
        indexes = join(
            (f"{i.get('index')}: {size(i.get('bytes'))}" for i in m.get("indexes", [])), "; "
        )
        if per_statement or tables or indexes or row.rows_affected:
            out.append([_who(row), row.rows_affected, per_statement, tables, indexes])
    return table(
        ["migration", "rows", "rows per statement", "tables (before → after)", "indexes built"],
        out,
        "nothing measured yet",
    )


def _table_change(t: dict[str, Any]) -> str:
    note = " created" if t.get("created") else " REWRITTEN" if t.get("rewritten") else ""
    before = "–" if t.get("created") else size(t.get("bytes_before"))
    return f"{t.get('table')}: {before} → {size(t.get('bytes_after'))}{note}"


def failures_table(rows: Sequence[HistoryRow]) -> Html:
    failed = [
        [
            _who(row),
            row.started_at.strftime("%Y-%m-%d %H:%M:%S") if row.started_at else "",
            row.failed_line,
            tag("pre", row.failed_statement or ""),
            row.error,
        ]
        for row in rows
        if row.state is State.FAILED
    ]
    return table(
        ["migration", "when", "line", "statement", "error"],
        failed,
        "no failed attempt among the recent ones",
    )


def findings_table(findings: Sequence) -> Html:
    rows = [
        [
            f"{f.file}:{f.line}",
            str(f.severity),
            f.rule,
            f.message + (" (acknowledged)" if f.acknowledged else ""),
        ]
        for f in findings
    ]
    return table(["where", "severity", "rule", "message"], rows, "no finding")
