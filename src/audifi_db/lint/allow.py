"""Allow comments: `-- audifi-db: allow <rule-id> <reason>` right above a statement.

Pure code. Comments are found with PostgreSQL's own scanner (pglast), so the text of a
string literal or a dollar-quoted body is never taken for a comment. An allow applies to
the statement that starts on the first line below it that is not a comment line; it
acknowledges that statement's findings of that rule. An allow without a reason, or one
that acknowledges nothing, is itself a finding, unless the statement's verdict depends on the
run (see `apply_allows`).
"""

from __future__ import annotations

import bisect
from typing import NamedTuple

from pglast import parser as _parser

from ..sql import Statement
from .model import Finding
from .registry import ALL_RULES, TRACE_RULE_IDS
from .rules import allow_missing_reason, allow_unknown_rule, unused_allow

MARK = "audifi-db: allow"


class Allow(NamedTuple):
    line: int
    column: int
    rule: str
    reason: str
    text: str


def find_allows(text: str) -> tuple[list[Allow], set[int]]:
    """The allow comments of a file and the lines that hold nothing but a `--` comment."""
    if MARK not in text:
        return [], set()
    line_starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
    allows, comment_lines = [], set()
    for token in _parser.scan(text):
        if token.name != "SQL_COMMENT":
            continue
        line = bisect.bisect_right(line_starts, token.start)
        column = token.start - line_starts[line - 1] + 1
        if text[line_starts[line - 1] : token.start].strip():
            continue
        comment_lines.add(line)
        body = text[token.start : token.end + 1].removeprefix("--").strip()
        if body.startswith(MARK):
            rule, _, reason = body.removeprefix(MARK).strip().partition(" ")
            allows.append(Allow(line, column, rule, reason.strip(), body))
    return allows, comment_lines


def apply_allows(
    path: str,
    text: str,
    statements: list[Statement],
    found: list[tuple[int, Finding]],
    unjudged: set[int] | frozenset[int] = frozenset(),
) -> list[Finding]:
    """Mark acknowledged findings and add the findings about the allow comments themselves.

    An allow of a rule only `lint --trace` reports is not judged here: the trace does.
    `unjudged`: indexes of statements found safe only because an earlier migration of the
    same run created what they touch. An allow on one acknowledges nothing here but is
    needed where that migration is applied, so it is not reported unused."""
    allows, comment_lines = find_allows(text)
    by_line = _statement_lines(statements)
    findings = [finding for _, finding in found]
    extra = []
    for allow in allows:
        if allow.rule not in _rule_ids():
            extra.append(_unknown_rule(path, allow))
            continue
        if not allow.reason:
            extra.append(_about_allow(path, allow, allow_missing_reason, "the allow has no reason"))
            continue
        target = _target(allow.line, comment_lines, by_line)
        matched = _acknowledge(allow, target, found, findings)
        if not matched and allow.rule not in TRACE_RULE_IDS and target not in unjudged:
            extra.append(
                _about_allow(
                    path, allow, unused_allow, f"no {allow.rule} finding on the next statement"
                )
            )
    return sorted(findings + extra, key=lambda f: (f.line, f.column))


def acknowledge(
    path: str, text: str, statements: list[Statement], found: list[tuple[int, Finding]]
) -> tuple[list[Finding], dict[int, Finding]]:
    """For findings made after the static lint (the trace's): the findings, those an allow
    comment names marked acknowledged; and, by the index of its statement, an `unused-allow`
    finding for each allow of a trace rule that acknowledged nothing (the static lint leaves
    those to the trace)."""
    allows, comment_lines = find_allows(text)
    by_line = _statement_lines(statements)
    findings = [finding for _, finding in found]
    unused = {}
    for allow in allows:
        if not allow.reason:
            continue
        target = _target(allow.line, comment_lines, by_line)
        matched = _acknowledge(allow, target, found, findings)
        if not matched and allow.rule in TRACE_RULE_IDS and target is not None:
            unused[target] = _about_allow(
                path, allow, unused_allow, f"no {allow.rule} finding on the next statement"
            )
    return findings, unused


def _acknowledge(
    allow: Allow, target: int | None, found: list[tuple[int, Finding]], findings: list[Finding]
) -> bool:
    """Mark, in `findings`, the findings of `allow`'s rule on statement `target`."""
    matched = [i for i, (index, f) in enumerate(found) if index == target and f.rule == allow.rule]
    for i in matched:
        findings[i] = findings[i]._replace(acknowledged=True, reason=allow.reason)
    return bool(matched)


def _statement_lines(statements: list[Statement]) -> dict[int, int]:
    """First line -> index of the first statement starting on it."""
    by_line = {}
    for statement in reversed(statements):
        by_line[statement.line] = statement.index
    return by_line


def allows_in_unchecked_file(path: str, text: str) -> list[Finding]:
    """A file that does not parse is not checked: each allow in it acknowledges nothing."""
    try:
        allows, _ = find_allows(text)
    except _parser.ParseError:  # the scanner too gave up (an unterminated string…)
        return []
    return [
        _about_allow(
            path, allow, unused_allow, "the file has a syntax error, so nothing was checked"
        )
        for allow in allows
    ]


def _rule_ids() -> frozenset[str]:
    return frozenset(rule.ID for rule in ALL_RULES)


def _unknown_rule(path: str, allow: Allow) -> Finding:
    import difflib

    close = difflib.get_close_matches(allow.rule, sorted(_rule_ids()), n=1)
    known = f"did you mean {close[0]}?" if close else "see docs/rules.md for the rule ids"
    return _about_allow(
        path, allow, allow_unknown_rule, f"no rule is named {allow.rule!r}"
    )._replace(
        recipe=f"-- {MARK} {close[0] if close else '<rule-id>'} <why it is safe here>\n-- {known}",
    )


def _target(line: int, comment_lines: set[int], by_line: dict[int, int]) -> int | None:
    line += 1
    while line in comment_lines and line not in by_line:
        line += 1
    return by_line.get(line)


def _about_allow(path: str, allow: Allow, rule, message: str) -> Finding:
    return Finding(
        rule=rule.ID,
        severity=rule.SEVERITY,
        file=path,
        line=allow.line,
        column=allow.column,
        message=f"{message}: {allow.text}",
        recipe=f"-- {MARK} <rule-id> <why it is safe here>",
        statement=f"-- {allow.text}",
    )
