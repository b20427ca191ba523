"""What may stop a run before its first migration, in a fixed order.

The run calls each guard once it holds the migration lock and knows what is pending:

1. `plan`      — the history and the files agree: no edited or missing applied migration,
                 no unresolved no-transaction failure, no out-of-order pending migration
                 (unless `--allow-out-of-order`, which the history records);
2. `lint`      — no unacknowledged lint error in a pending migration (protected
                 environments and `dev`);
3. `promotion` — every pending migration is applied with the same checksum on the
                 environment this one `requires` (production requires staging), unless
                 `--skip-staging-check REASON`, which the history records;
4. `backup`    — a backup (`backup/`) is taken when the environment's policy asks for it,
                 unless `--skip-backup REASON`, which the history records (the backup
                 guard comes last: it is the slow one, and a run another guard refuses
                 needs no backup).

An override (`--skip-staging-check`, `--skip-backup`) needs a reason the history can record:
`with_reasons`, called once by the runner, strips each and refuses a blank one (exit 2).

A guard returns a Verdict: passed (with a note, and notes for the history) or refused
(with the error to raise). The run emits each verdict as an event and stops at the first
refusal with nothing applied; a dry run asks every guard and reports every verdict,
changing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import events
from .backup.guard import BackupGuard
from .config import Settings
from .errors import AudiFiDbError, ConfigError, LintFailedError, PlanError
from .model import Migration, Plan, RunOptions
from .postgres.connect import Connection

# The flags that let a run past a guard, by their RunOptions field.
OVERRIDE_FLAGS = {"skip_staging_check": "--skip-staging-check", "skip_backup": "--skip-backup"}


def with_reasons(options: RunOptions) -> RunOptions:
    """`options` with each override's reason stripped; a ConfigError (exit 2) for one that is
    blank: a guard is skipped only for a reason the history records."""
    reasons = {}
    for name, flag in OVERRIDE_FLAGS.items():
        given = getattr(options, name)
        if given is None:
            continue
        reasons[name] = given.strip()
        if not reasons[name]:
            raise ConfigError(
                f"{flag} needs a reason; nothing was applied",
                f'{flag} "<why>" (recorded in the history with who gave it)',
            )
    return options._replace(**reasons)


@dataclass(frozen=True)
class Verdict:
    guard: str
    note: str = ""
    refusal: AudiFiDbError | None = None
    notes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.refusal is None


@dataclass
class GuardContext:
    """What a guard may look at: the run's settings, command, connection, plan and options;
    the database's URL (for a client such as pg_dump) and the run's id."""

    settings: Settings
    command: str
    conn: Connection
    plan: Plan
    options: RunOptions
    emit: events.Emit
    target: events.Target
    applied_by: str = ""
    url: str = ""
    run_id: str = ""
    _after: list[Callable[[], None]] = field(default_factory=list)

    @property
    def pending(self) -> list[Migration]:
        return [step.migration for step in self.plan.steps]

    def override(self, guard: str, reason: str) -> None:
        """Say that a human let the run past `guard` (the verdict's notes record it)."""
        if not self.options.dry_run:
            self.emit(
                events.GuardOverridden(
                    target=self.target, guard=guard, reason=reason, by=self.applied_by
                )
            )

    def after_run(self, callback: Callable[[], None]) -> None:
        """Have the runner call `callback` once the run ends (applied or failed)."""
        self._after.append(callback)

    def run_ended(self) -> None:
        """Called by the runner, under the lock, when the run ends."""
        for callback in self._after:
            callback()


class Guard(Protocol):
    name: str

    def check(self, ctx: GuardContext) -> Verdict: ...


class PlanGuard:
    """Refuses on the planner's blockers (edited, missing, unresolved, out of order)."""

    name = "plan"

    def check(self, ctx: GuardContext) -> Verdict:
        blockers = ctx.plan.blockers
        if blockers:
            first = blockers[0]
            more = (
                f" (and {len(blockers) - 1} more: see `audifi-db status`)" if blockers[1:] else ""
            )
            return Verdict(self.name, refusal=PlanError(first.message + more, first.hint))
        late = ctx.plan.out_of_order
        if late:
            note = f"applying {len(late)} migration(s) out of order: {', '.join(late)}"
            given = (
                "--allow-out-of-order"
                if ctx.options.allow_out_of_order
                else '[migrations] order = "allow"'
            )
            ctx.override(self.name, f"{given}: {', '.join(late)}")
            record = {
                "allow_out_of_order": {
                    "versions": list(late),
                    "by": ctx.applied_by,
                    "reason": given,
                }
            }
            return Verdict(self.name, note, notes=record)
        return Verdict(self.name, "the history and the files agree")


class LintGuard:
    """Refuses unacknowledged lint errors where the environment's policy says they block."""

    name = "lint"

    def check(self, ctx: GuardContext) -> Verdict:
        if not (ctx.settings.protected or ctx.command == "dev"):
            return Verdict(self.name, f"lint does not block deploys to {ctx.target.environment}")
        refusal = lint_errors(ctx.settings, ctx.conn, ctx.pending)
        if refusal is not None:
            return Verdict(self.name, refusal=refusal)
        return Verdict(self.name, f"{len(ctx.pending)} pending migration(s) lint clean")


def lint_errors(
    settings: Settings, conn: Connection, migrations: Sequence[Migration]
) -> LintFailedError | None:
    """A LintFailedError carrying the whole report when a migration has an unacknowledged
    error, judged against the target's live schema and server version; else None. (Python
    migrations are not linted: their SQL is made when they run.)"""
    from .lint.engine import blocking
    from .operations.lint import lint_against_target

    findings = lint_against_target(settings, migrations, conn)
    errors = blocking(findings)
    if not errors:
        return None
    first = errors[0]
    return LintFailedError(
        f"{len(errors)} unacknowledged lint error(s), first {first.file}:{first.line} "
        f"[{first.rule}]; nothing was applied",
        "follow the recipe, or acknowledge with `-- audifi-db: allow <rule-id> <reason>` "
        "on the line before the statement",
        findings,
    )


class PromotionGuard:
    """Refuses pending migrations the required environment (staging) has not applied."""

    name = "promotion"

    def check(self, ctx: GuardContext) -> Verdict:
        from . import promotion

        upstream = ctx.settings.requires
        if not upstream or not ctx.pending:
            return Verdict(self.name)  # nothing to check: nothing worth a line
        reason = ctx.options.skip_staging_check
        if reason is not None:
            ctx.override(self.name, f"--skip-staging-check: {reason}")
            record = {"reason": reason, "by": ctx.applied_by, "requires": upstream}
            return Verdict(self.name, f"skipped: {reason}", notes={"skip_staging_check": record})
        try:
            applied, source = promotion.upstream_history(ctx.settings, ctx.options.staging_manifest)
        except AudiFiDbError as error:
            return Verdict(self.name, refusal=error)
        problems = promotion.unpromoted(ctx.pending, applied, upstream)
        if problems:
            return Verdict(self.name, refusal=promotion.refusal(problems, upstream, source))
        return Verdict(self.name, f"{len(ctx.pending)} pending migration(s) applied on {upstream}")


GUARDS: tuple[Guard, ...] = (PlanGuard(), LintGuard(), PromotionGuard(), BackupGuard())


def run_guards(ctx: GuardContext, guards: Sequence[Guard] = GUARDS) -> list[Verdict]:
    """Ask each guard in order, emitting each verdict; stop at the first refusal unless
    this is a dry run (which asks them all). Returns the verdicts."""
    verdicts = []
    for guard in guards:
        verdict = guard.check(ctx)
        verdicts.append(verdict)
        if verdict.passed:
            ctx.emit(events.GuardPassed(target=ctx.target, guard=guard.name, note=verdict.note))
            continue
        error = verdict.refusal
        assert error is not None
        findings = getattr(error, "findings", ())
        details = tuple(finding.to_json() for finding in findings)
        ctx.emit(events.Refused.of(error, ctx.target, guard.name, details))
        if not ctx.options.dry_run:
            break
    return verdicts
