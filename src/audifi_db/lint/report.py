"""Findings and lock explanations as text, JSON or GitHub workflow annotations.

Pure code: each renderer returns a string; the CLI prints it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .engine import Explained
from .model import Finding, Severity

MAX_STATEMENT_LINES = 8


def render(findings: Sequence[Finding], fmt: str) -> str:
    """`text`, `json` or `github`."""
    return _RENDERERS[fmt](findings)


def text(findings: Sequence[Finding]) -> str:
    blocks = [_text_block(f) for f in findings]
    return "\n\n".join([*blocks, _summary(findings)])


def _text_block(finding: Finding) -> str:
    status = f" (acknowledged: {finding.reason})" if finding.acknowledged else ""
    lines = [
        f"{finding.file}:{finding.line}:{finding.column}: {finding.severity} "
        f"{finding.rule}: {finding.message}{status}"
    ]
    lines.extend(_marked_statement(finding))
    if finding.lock:
        lines.append(f"  lock: {finding.lock}")
    if finding.recipe:
        lines.append("  instead:")
        lines.extend(f"    {line}" for line in finding.recipe.splitlines())
    return "\n".join(lines)


def _marked_statement(finding: Finding) -> list[str]:
    """The statement's lines with a gutter, and a caret under the offending part."""
    if not finding.statement:
        return []
    source = finding.statement.splitlines()
    source[0] = " " * (finding.column - 1) + source[0]
    mark_line, mark_column = finding.mark or (finding.line, finding.column)
    last = max(mark_line, finding.line + min(len(source), MAX_STATEMENT_LINES) - 1)
    width = len(str(last))
    out = []
    for number in range(finding.line, last + 1):
        out.append(f"  {number:>{width}} | {source[number - finding.line]}")
        if number == mark_line:
            out.append(f"  {'':>{width}} | {' ' * (mark_column - 1)}^")
    return out


def _summary(findings: Sequence[Finding]) -> str:
    open_findings = [f for f in findings if not f.acknowledged]
    errors = sum(1 for f in open_findings if f.severity is Severity.ERROR)
    warnings = len(open_findings) - errors
    acknowledged = len(findings) - len(open_findings)
    return f"{errors} error(s), {warnings} warning(s), {acknowledged} acknowledged"


def json_list(findings: Sequence[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2)


def github(findings: Sequence[Finding]) -> str:
    """One workflow command per finding; acknowledged ones as notices."""
    return "\n".join(_annotation(f) for f in findings)


def _annotation(finding: Finding) -> str:
    level = "notice" if finding.acknowledged else str(finding.severity)
    body = finding.message
    if finding.acknowledged:
        body += f" (acknowledged: {finding.reason})"
    if finding.lock:
        body += f"\nlock: {finding.lock}"
    if finding.recipe:
        body += f"\ninstead:\n{finding.recipe}"
    properties = ",".join(
        f"{key}={_escape_property(value)}"
        for key, value in (
            ("file", finding.file),
            ("line", str(finding.line)),
            ("col", str(finding.column)),
            ("title", finding.rule),
        )
    )
    return f"::{level} {properties}::{_escape_data(body)}"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


_RENDERERS = {"text": text, "json": json_list, "github": github}
FORMATS = tuple(_RENDERERS)


def explain_files(files: Sequence[tuple[str, Sequence[Explained]]], fmt: str = "text") -> str:
    """`--explain`: per statement, the lock on each relation, rewrite or scan, and the
    schema facts the verdict rests on."""
    if fmt == "json":
        return json.dumps(
            [_explained_json(path, e) for path, explained in files for e in explained], indent=2
        )
    return "\n".join(_explain_text(path, e) for path, explained in files for e in explained)


def _explained_json(path: str, explained: Explained) -> dict:
    return {
        "file": path,
        "line": explained.statement.line,
        "statement": explained.statement.text,
        "locks": [
            {"relation": x.relation, "mode": x.mode.label, "rewrite": x.rewrite, "scan": x.scan}
            for x in explained.effects
        ],
        "facts": explained.facts,
    }


def _explain_text(path: str, explained: Explained) -> str:
    first = explained.statement.text.splitlines()[0]
    inside = f" (in a DO block: {explained.statement.inside})" if explained.statement.inside else ""
    lines = [f"{path}:{explained.statement.line}: {first[:90]}{inside}"]
    for effect in explained.effects:
        work = "rewrites the table" if effect.rewrite else "scans the table" if effect.scan else ""
        lines.append(f"    {effect.describe()}" + (f"  ({work})" if work else ""))
    if not explained.effects:
        lines.append("    no table lock")
    lines.extend(f"    knows: {fact}" for fact in explained.facts)
    return "\n".join(lines)


def trace(traced: Sequence, fmt: str = "text") -> str:
    """`--trace`: per statement, confirmed / mismatch / failed / not run, with the
    prediction next to what the server did."""
    if fmt == "json":
        return json.dumps([_traced_json(t) for t in traced], indent=2)
    if fmt == "github":
        lines = [_annotation(t.finding) for t in traced if t.finding is not None]
    else:
        lines = [_traced_text(t) for t in traced]
    counts = {v: sum(1 for t in traced if t.verdict == v) for v in _VERDICTS}
    lines.append(", ".join(f"{n} {v}" for v, n in counts.items()))
    return "\n".join(lines)


_VERDICTS = ("confirmed", "mismatch", "failed", "not run")


def _traced_json(traced) -> dict:
    observed = traced.observed
    return {
        "file": traced.path,
        "line": traced.prediction.statement.line,
        "statement": traced.prediction.statement.text,
        "verdict": traced.verdict,
        "predicted": {
            "locks": {r: m.label for r, m in traced.prediction.locks.items()},
            "rewrites": sorted(traced.prediction.rewrites),
        },
        "observed": None
        if observed is None
        else {
            "locks": _labels(observed.taken),
            "rewrites": list(observed.rewritten),
            "error": observed.error,
        },
        "differences": traced.differences,
        "finding": traced.finding.to_json() if traced.finding is not None else None,
    }


def _labels(modes: dict | None) -> dict | None:
    from .locks import LockMode

    return None if modes is None else {r: LockMode(m).label for r, m in modes.items()}


def _traced_text(traced) -> str:
    statement = traced.prediction.statement
    first = statement.text.splitlines()[0][:80]
    head = f"{traced.path}:{statement.line}: {traced.verdict:<9} {first}"
    if traced.finding is not None and traced.finding.acknowledged:
        head += f" (acknowledged: {traced.finding.reason})"
    details = [f"    {d}" for d in traced.differences]
    if traced.verdict == "confirmed" and traced.finding is not None:  # a stale allow above it
        details.append(
            f"    {traced.finding.severity} {traced.finding.rule}: {traced.finding.message}"
        )
    if traced.verdict == "confirmed" and traced.prediction.locks:
        locks = ", ".join(f"{m.label} on {r}" for r, m in traced.prediction.locks.items())
        rewrites = (
            f"; rewrites {', '.join(sorted(traced.prediction.rewrites))}"
            if traced.prediction.rewrites
            else ""
        )
        details.append(f"    {locks}{rewrites}")
    return "\n".join([head, *details])
