"""`[backup] method = "restore-point"`: for databases too large to dump before each deploy,
rely on the continuous archiving the team runs (pgBackRest, WAL-G, Barman, archive_command).

Before the first migration: prove archiving works now (a WAL switch, then the archiver
reports that segment archived, with no failure since), then create a restore point named
after the run and write a manifest of it (no dump). Then `send_to_archive` switches WAL
again so the segment holding the point reaches the archive: through the job's `then`, at
once for an on-demand point, when the run ends for a deploy's. `recovery_settings` is what
`audifi-db restore` prints for such a backup.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

from .. import events
from ..errors import AudiFiDbError, BackupFailedError
from ..postgres import archiving, snapshot
from ..postgres.connect import connect
from .commands import restore_point_name
from .dump import Job, Taken, applied_versions, failed
from .manifest import Manifest
from .store import LocalStore, bucket


def create(job: Job) -> Taken:
    began = time.perf_counter()
    local, remote = LocalStore(job.policy.dir), bucket(job.policy)
    name = job.name(local)
    point_name = restore_point_name(job.run_id or name)
    try:
        local.prepare()
        if remote is not None:
            remote.check()
        with connect(job.url, "audifi-db backup") as conn:
            state = _check_archiving(conn, job.policy.archive_wait_seconds)
            job.emit(
                events.BackupStarted(target=job.target, file=point_name, method="restore-point")
            )
            point = archiving.create_restore_point(conn, point_name)
            manifest = _manifest(job, name, conn, point, state.archive_command)
        if remote is not None:
            manifest = replace(manifest, uploaded_to=remote.url_of(manifest.manifest_file))
            remote.put_manifest(manifest)
        path = local.put_manifest(manifest)
    except (AudiFiDbError, OSError, KeyboardInterrupt) as error:
        raise failed(job, local, name, error) from None
    job.emit(
        events.BackupFinished(
            target=job.target,
            file=point_name,
            size_bytes=0,
            duration_ms=int((time.perf_counter() - began) * 1000),
            uploaded_to=manifest.uploaded_to,
            manifest=str(path),
        )
    )
    job.then(lambda: send_to_archive(job, point_name))
    record = {"method": "restore-point", "restore_point": point_name, "lsn": point.lsn}
    return Taken(manifest, str(path), history={**record, "manifest": str(path)})


def _manifest(job: Job, name: str, conn, point: archiving.RestorePoint, archiver: str) -> Manifest:
    return Manifest(
        name=name,
        database=job.target.database,
        environment=job.target.environment,
        created_at=datetime.now(UTC),
        server_version=snapshot.server_version(conn),
        method="restore-point",
        applied_versions=applied_versions(conn, job.settings),
        before_version=job.before or "",
        run_id=job.run_id,
        restore_point={
            "name": point.name,
            "lsn": point.lsn,
            "wal_file": point.wal_file,
            "timeline": point.timeline,
            "archive_command": archiver,
        },
    )


def _check_archiving(conn, wait_seconds: float) -> archiving.ArchiverState:
    """The archiver's state once a fresh WAL segment is archived; BackupFailedError when
    archiving is off, failing, or does not archive within `wait_seconds`."""
    state = archiving.archiver_state(conn)
    hint = "fix continuous archiving (archive_mode, archive_command or archive_library)"
    if state.archive_mode not in ("on", "always"):
        raise BackupFailedError(
            f"archive_mode is {state.archive_mode}: a restore point needs continuous archiving",
            f'{hint}, or use [backup] method = "dump"',
        )
    segment = archiving.switch_wal(conn)
    state = archiving.wait_archived(conn, segment, wait_seconds)
    if state.failing:
        raise BackupFailedError(
            f"WAL archiving is failing: {state.last_failed_wal} failed at "
            f"{state.last_failed_time:%Y-%m-%d %H:%M:%S %Z}, after the last success "
            f"({state.last_archived_wal or 'none'})",
            hint,
        )
    if state.last_archived_wal is None or state.last_archived_wal[:24] < segment:
        raise BackupFailedError(
            f"WAL segment {segment} was not archived within {wait_seconds:g} s "
            f"(last archived: {state.last_archived_wal or 'none'})",
            f"{hint}, or raise [backup] archive_wait_seconds",
        )
    return state


def send_to_archive(job: Job, point_name: str) -> None:
    """Switch WAL so the segment holding the restore point is archived; a BackupFailed
    event when it is not within the wait (the point, and a run after it, stay)."""
    try:
        with connect(job.url, "audifi-db backup") as conn:
            segment = archiving.switch_wal(conn)
            state = archiving.wait_archived(conn, segment, job.policy.archive_wait_seconds)
    except AudiFiDbError as error:
        problem = error.message
    else:
        archived = state.last_archived_wal is not None and state.last_archived_wal[:24] >= segment
        problem = "" if archived and not state.failing else f"segment {segment} is not archived yet"
    if problem:
        job.emit(
            events.BackupFailed(
                target=job.target,
                message=f"restore point {point_name} may not be archived: {problem}",
                hint="check continuous archiving before relying on this restore point",
            )
        )


def recovery_settings(manifest: Manifest) -> str:
    """The postgresql.conf lines of a point-in-time recovery to the manifest's point."""
    point = manifest.restore_point
    return "\n".join(
        [
            f"# Point-in-time recovery of {manifest.database} ({manifest.environment}) to the",
            f"# restore point made before migration {manifest.before_version or '-'} on "
            f"{manifest.created_at:%Y-%m-%d %H:%M:%S} UTC (LSN {point['lsn']}, WAL {point['wal_file']},",
            f"# timeline {point['timeline']}). Restore a base backup taken before that time, put",
            "# these lines in its postgresql.conf (or postgresql.auto.conf), create recovery.signal",
            "# in its data directory, and start it. The archive was written by:",
            f"#   {point.get('archive_command') or '(archive_command not recorded)'}",
            "restore_command = '…'  # fetch %f from that archive into %p (your tool's command)",
            f"recovery_target_name = '{point['name']}'",
            f"recovery_target_timeline = '{point['timeline']}'",
            "recovery_target_action = 'promote'",
        ]
    )
