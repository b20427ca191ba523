"""The backup guard: the last guard of a run, because it is the slow one.

Once the run holds the lock and something is pending in an environment whose policy asks
for it (`[backup] before_deploy`, on for staging and production), the backup is taken
before the first migration. `--skip-backup REASON` lets the run through, as an override
the history records with who gave it. A backup that fails refuses the run (exit 1) with
nothing applied and the partial file removed, and so does a dump of a protected environment
that would stay on a GitHub-hosted runner (no `[backup] s3_url`): the runner's disk, and the
way back with it, goes when the job ends.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..guards import GuardContext, Verdict

RUN_COMMANDS = ("deploy", "dev")  # reset drops the schemas before guards: no backup there


class BackupGuard:
    name = "backup"

    def check(self, ctx: GuardContext) -> Verdict:
        from ..guards import Verdict

        policy = ctx.settings.backup
        if ctx.command not in RUN_COMMANDS or not policy.before_deploy:
            return Verdict(self.name)  # the policy asks for none: nothing worth a line
        if not ctx.pending:
            return Verdict(self.name, "nothing pending: no backup needed")
        reason = ctx.options.skip_backup  # stripped and not blank (guards.with_reasons)
        if reason is not None:
            ctx.override(self.name, reason)
            record = {"skip_backup": {"reason": reason, "by": ctx.applied_by}}
            return Verdict(self.name, f"skipped by --skip-backup: {reason}", notes=record)
        lost = _lost_with_the_runner(ctx)
        if lost is not None:
            return Verdict(self.name, refusal=lost)
        if ctx.options.dry_run:
            return Verdict(self.name, _would(ctx))
        from ..errors import BackupFailedError
        from .dump import Job, take

        job = Job(
            ctx.settings,
            ctx.url,
            ctx.emit,
            ctx.target,
            before=ctx.pending[0].version,
            run_id=ctx.run_id,
            for_deploy=True,
            then=ctx.after_run,  # a restore point's WAL switch, when the run ends
        )
        try:
            taken = take(job)
        except BackupFailedError as error:
            return Verdict(self.name, refusal=error)
        note = f"{taken.manifest.method} backup {taken.location}"
        if taken.retention_error:
            note += f" (retention failed: {taken.retention_error})"
        return Verdict(self.name, note, notes={"backup": taken.history})


def _lost_with_the_runner(ctx: GuardContext):
    """The refusal of a protected environment's dump that would be kept only in the folder
    of a GitHub-hosted runner; None otherwise (a self-hosted runner's disk may outlive the
    job: there the CLI warns instead)."""
    policy = ctx.settings.backup
    hosted = os.environ.get("GITHUB_ACTIONS") == "true" and (
        os.environ.get("RUNNER_ENVIRONMENT") == "github-hosted"
    )
    if not (hosted and ctx.settings.protected and policy.method == "dump" and not policy.s3_url):
        return None
    from ..errors import BackupFailedError
    from .dump import SKIP_HINT

    return BackupFailedError(
        f"the backup of {ctx.target.database} ({ctx.target.environment}) would stay on this "
        "GitHub-hosted runner, whose disk goes when the job ends; nothing was applied",
        f"set [backup] s3_url (AUDIFI_DB_BACKUP_S3_URL) to keep it in a bucket, {SKIP_HINT}",
    )


def _would(ctx: GuardContext) -> str:
    policy = ctx.settings.backup
    if policy.method == "restore-point":
        return "would check WAL archiving and create a restore point before the first migration"
    where = f" and upload it to {policy.s3_url}" if policy.s3_url else ""
    return f"would dump {ctx.target.database} into {policy.dir}{where} before the first migration"
