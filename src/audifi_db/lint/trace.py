"""`lint --trace`: the static prediction of each statement next to what the server did.

Pure code. `predict` replays the migrations the trace starts from into a schema model and
gives, for each statement of the traced migrations, the relation locks and rewrites the
linter predicts (a DO block's: those of the statements inside it). `compare` sets them
against what `postgres/trace.py` observed and marks each statement confirmed or
mismatched; a mismatch is a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..sql import Statement, expand, parse
from . import allow
from .engine import replay_source
from .locks import LockEffect, LockMode, effects
from .model import Finding, Severity
from .rules import trace_mismatch, trace_statement_failed
from .schema import SchemaModel, Session


@dataclass(frozen=True)
class Prediction:
    """Locks (relation -> mode) and rewrites the linter predicts for one statement."""

    statement: Statement
    locks: dict[str, LockMode]
    rewrites: frozenset[str]


@dataclass(frozen=True)
class Traced:
    path: str
    prediction: Prediction
    observed: object | None  # postgres.trace.Observed; None: not run
    verdict: str  # confirmed, mismatch, failed, not run
    differences: list[str] = field(default_factory=list)
    finding: Finding | None = None


def predict(
    setup: list[tuple[str, str]],
    traced: list[tuple[str, str]],
    server_version: int,
    session: Session,
) -> list[list[Prediction]]:
    """Predictions for each traced file (path, text), after the setup files."""
    schema = SchemaModel(base_session=session)
    for path, text in setup:
        replay_source(path, text, schema)
    found = []
    for path, text in traced:
        schema.begin_file(path, in_run=True)
        found.append([_predict(top, schema, server_version) for top in parse(text, path)])
    return found


def _predict(top: Statement, schema: SchemaModel, version: int) -> Prediction:
    locks: dict[str, LockMode] = {}
    rewrites: set[str] = set()
    for statement in expand(top):
        for effect in effects(statement, version, schema):
            relation = _resolve(effect, schema, statement)
            if relation is None:
                continue
            locks[relation] = max(locks.get(relation, LockMode.ACCESS_SHARE), effect.mode)
            if effect.rewrite:
                rewrites.add(relation)
        schema.apply(statement)
    # Relations keep the names they had when the statement began: the trace names what it
    # observes the same way, so a rename's lock is on the old name.
    return Prediction(top, locks, frozenset(rewrites))


def _resolve(effect: LockEffect, schema: SchemaModel, statement: Statement) -> str | None:
    name = effect.relation.removesuffix(" (new)")
    if name != effect.relation:  # created by this statement: the name it will have
        schema_name, _, table = name.rpartition(".")
        return schema.qualify(table, schema_name or None)
    table = schema.table_named(name)
    return table.name if table else None


def compare(path: str, prediction: Prediction, observed) -> Traced:
    """Confirmed when every predicted lock and rewrite happened and nothing stronger did."""
    if observed is None:
        return Traced(path, prediction, None, "not run")
    if observed.error is not None:
        return Traced(
            path,
            prediction,
            observed,
            "failed",
            [observed.error],
            _finding(path, prediction, trace_statement_failed, observed.error),
        )
    differences, worse = _differences(prediction, observed)
    if not differences:
        return Traced(path, prediction, observed, "confirmed")
    message = "the server did otherwise than predicted: " + "; ".join(differences)
    finding = _finding(
        path, prediction, trace_mismatch, message, Severity.ERROR if worse else Severity.WARNING
    )
    return Traced(path, prediction, observed, "mismatch", differences, finding)


def _differences(prediction: Prediction, observed) -> tuple[list[str], bool]:
    found: list[str] = []
    worse = False
    if observed.taken is not None:
        # a table made by the statement blocks no one yet; a dropped one's locks are gone
        unseen = set(observed.created) | set(observed.dropped)
        for relation in sorted((set(prediction.locks) | set(observed.taken)) - unseen):
            expected = prediction.locks.get(relation)
            taken = observed.taken.get(relation)
            held = observed.held.get(relation)
            if expected is None:
                if taken is not None and taken > LockMode.ROW_EXCLUSIVE:
                    found.append(f"{LockMode(taken).label} on {relation}, not predicted")
                    worse = True
            elif taken == expected or (held or 0) >= expected >= (taken or 0):
                continue  # taken now, or held since an earlier statement of the transaction
            else:
                seen = LockMode(taken).label if taken else "no new lock"
                found.append(f"{relation}: predicted {expected.label}, took {seen}")
                worse = worse or (taken or 0) > expected
    rewritten = set(observed.rewritten)
    for relation in sorted(rewritten - prediction.rewrites):
        found.append(f"{relation} was rewritten, not predicted")
        worse = True
    for relation in sorted(prediction.rewrites - rewritten):
        found.append(f"{relation}: predicted a rewrite, none happened")
    return found, worse


def acknowledge(path: str, text: str, traced: list[Traced]) -> list[Traced]:
    """One file's traced statements, their findings acknowledged by the file's allow
    comments (`-- audifi-db: allow trace-mismatch <reason>` above the statement); a traced
    statement under such an allow with nothing to acknowledge gets `unused-allow`."""
    statements = [t.prediction.statement for t in traced]
    with_findings = [t for t in traced if t.finding is not None]
    marked, unused = allow.acknowledge(
        path, text, statements, [(t.prediction.statement.index, t.finding) for t in with_findings]
    )
    by_id = {id(t): finding for t, finding in zip(with_findings, marked, strict=True)}
    result = []
    for t in traced:
        if id(t) in by_id:
            t = replace(t, finding=by_id[id(t)])
        elif t.verdict == "confirmed" and t.prediction.statement.index in unused:
            t = replace(t, finding=unused[t.prediction.statement.index])
        result.append(t)
    return result


def _finding(path, prediction, rule, message, severity=None) -> Finding:
    statement = prediction.statement
    return Finding(
        rule=rule.ID,
        severity=severity or rule.SEVERITY,
        file=path,
        line=statement.line,
        column=statement.column,
        message=message,
        statement=statement.text,
    )
