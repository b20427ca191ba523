"""A CheckReport as text, JSON, GitHub annotations and the job summary's Markdown.

Pure code: each renderer returns a value; the CLI prints it or appends it to the summary.
"""

from __future__ import annotations

from .check import CheckReport
from .github import annotation, cell, code, table

TITLE = "audifi-db check"


def to_json(report: CheckReport) -> dict:
    apply = report.apply
    return {
        "ok": report.ok,
        "base": {
            "ref": report.base.ref,
            "tip": report.base.tip,
            "merge_base": report.base.fork_point,
        },
        "to_run": [
            {"version": m.version, "name": m.name, "file": m.path, "transactional": m.transactional}
            for m in report.to_run
        ],
        "problems": [problem.to_json() for problem in report.problems],
        "findings": [finding.to_json() for finding in report.findings],
        "lint_errors": len(report.blocking),
        "locks": [
            {"file": s.file, "line": s.line, "statement": s.statement, "locks": list(s.locks)}
            for s in report.locks
        ],
        "apply": {
            "ok": apply.ok,
            "database": apply.database,
            "dropped": True,
            "applied": [vars(a) for a in apply.applied],
            "error": apply.error,
            "failed_at": {"file": apply.failed_at[0], "line": apply.failed_at[1]}
            if apply.failed_at
            else None,
            "in_sync": apply.in_sync,
            "invalid": list(apply.invalid),
        },
        "timings_ms": report.timings_ms,
    }


def verdict(report: CheckReport) -> str:
    if report.ok:
        return "check passed"
    reasons = []
    if report.problems:
        reasons.append(f"{len(report.problems)} conflict(s) with {report.base.ref}")
    if report.blocking:
        reasons.append(f"{len(report.blocking)} lint error(s)")
    if not report.apply.ok:
        reasons.append("the migrations do not apply cleanly from empty")
    return "check FAILED: " + ", ".join(reasons)


def text(report: CheckReport) -> str:
    from .lint.report import render

    lines = [_base_line(report), f"to run, in this order: {len(report.to_run)} migration(s)"]
    durations = _durations(report)
    lines += [
        f"  {i}. {m.path}  ({_mode(m)}){durations.get(m.version, '')}"
        for i, m in enumerate(report.to_run, start=1)
    ]
    lines.append(f"conflicts with {report.base.ref}: {len(report.problems) or 'none'}")
    for problem in report.problems:
        lines += [f"  {problem.kind}: {problem.message}", f"    fix: {problem.hint}"]
    lines.append(
        "lint: " + (render(list(report.findings), "text") if report.findings else "no findings")
    )
    lines += [_apply_line(report), verdict(report)]
    return "\n".join(lines)


def _base_line(report: CheckReport) -> str:
    base = report.base
    fork = "" if base.fork_point == base.tip else f", this branch left it at {base.fork_point[:12]}"
    return f"base: {base.ref} at {base.tip[:12]}{fork}"


def _mode(migration) -> str:
    return "one transaction" if migration.transactional else "no transaction"


def _durations(report: CheckReport) -> dict[str, str]:
    return {a.version: f"  {a.duration_ms} ms" for a in report.apply.applied}


def _apply_line(report: CheckReport) -> str:
    apply = report.apply
    head = f"throwaway database {apply.database} (dropped): "
    if apply.error:
        where = f" at {apply.failed_at[0]}:{apply.failed_at[1]}" if apply.failed_at else ""
        return head + f"FAILED{where} after {len(apply.applied)} migration(s): {apply.error}"
    state = "in sync" if apply.in_sync else "NOT in sync"
    valid = "valid" if not apply.invalid else "invalid: " + ", ".join(apply.invalid)
    total = report.timings_ms.get("apply", 0)
    return (
        head
        + f"{len(apply.applied)} migration(s) applied from empty in {total} ms; {state}; {valid}"
    )


def annotations(report: CheckReport) -> str:
    """GitHub workflow commands that put each problem on its file and line."""
    from .lint.report import render

    lines = [
        annotation(
            f"{problem.message} (fix: {problem.hint})",
            file=problem.path,
            line=problem.line,
            title=f"{TITLE}: {problem.kind}",
        )
        for problem in report.problems
    ]
    if report.findings:
        lines.append(render(list(report.findings), "github"))
    apply = report.apply
    if not apply.ok:
        file, line = apply.failed_at or (None, None)
        lines.append(
            annotation(
                apply.error or _apply_line(report), file=file, line=line, title=f"{TITLE}: apply"
            )
        )
    return "\n".join(lines)


def markdown(report: CheckReport) -> str:
    """The job summary: what runs in which order, conflicts, findings, locks, timings."""
    icon = "✅" if report.ok else "❌"
    base = _base_line(report)
    parts = [f"## {icon} audifi-db {verdict(report)}", base[0].upper() + base[1:]]
    parts += [_run_table(report), _problem_table(report), _finding_table(report)]
    parts += [_lock_table(report), f"### Throwaway database\n\n{cell(_apply_line(report))}"]
    timings = [[stage, str(ms)] for stage, ms in report.timings_ms.items()]
    parts.append(table(["stage", "ms"], timings, "Timings"))
    return "\n\n".join(parts) + "\n"


def _run_table(report: CheckReport) -> str:
    if not report.to_run:
        return "### What will run\n\nNo new or changed migration."
    counts: dict[str, int] = {}
    for statement in report.locks:
        counts[statement.file] = counts.get(statement.file, 0) + 1
    durations = {a.version: f"{a.duration_ms} ms" for a in report.apply.applied}
    rows = [
        [str(i), code(m.path), _mode(m), str(counts.get(m.path, "")), durations.get(m.version, "—")]
        for i, m in enumerate(report.to_run, start=1)
    ]
    header = ["#", "migration", "mode", "statements", "applied in"]
    return table(header, rows, "What will run, in this order")


def _problem_table(report: CheckReport) -> str:
    rows = [[code(f"{p.path}:{p.line}"), str(p.kind), p.message, p.hint] for p in report.problems]
    return table(
        ["file", "conflict", "what", "fix"], rows, f"Conflicts with {code(report.base.ref)}"
    )


def _finding_table(report: CheckReport) -> str:
    rows = [
        [
            code(f"{f.file}:{f.line}"),
            f"{f.severity}" + (" (acknowledged)" if f.acknowledged else ""),
            f.rule,
            f.message,
            f.lock,
        ]
        for f in report.findings
    ]
    return table(["where", "severity", "rule", "message", "lock"], rows, "Lint findings")


def _lock_table(report: CheckReport) -> str:
    rows = [
        [code(f"{s.file}:{s.line}"), code(s.statement[:80]), "; ".join(s.locks) or "no table lock"]
        for s in report.locks
    ]
    return table(["where", "statement", "lock"], rows, "Locks each statement takes")
