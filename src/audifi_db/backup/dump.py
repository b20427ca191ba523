"""Taking a backup: pg_dump in an exported snapshot whose every table is counted while the
dump runs, the manifest beside it, the upload, then retention.

A backup that fails leaves nothing behind: the partial dump and manifest are removed, a
`BackupFailed` event says what failed and what was removed, and a BackupFailedError is
raised (exit 1).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from .. import events
from ..config import Settings
from ..errors import AudiFiDbError, BackupFailedError
from ..model import DONE_STATES
from ..pgtools import Tool, client_environment, without_password
from ..postgres import catalog, snapshot
from ..postgres.connect import Connection, connect
from ..postgres.history import History
from . import process
from .commands import backup_name, dump_args
from .manifest import DUMP_SUFFIX, MANIFEST_SUFFIX, Manifest, schema_digest, sha256_of
from .progress import progress
from .retention import same_target, to_delete
from .store import LocalStore, bucket

SKIP_HINT = 'or deploy without a backup knowingly: --skip-backup "<reason>" (recorded in history)'


def _at_once(callback: Callable[[], None]) -> None:
    callback()


@dataclass(frozen=True)
class Job:
    """One backup to take: of the database at `url`, before `before` (a version) if a
    deploy asked for it, as part of run `run_id`. What must follow the backup (a restore
    point's WAL switch) is handed to `then`: done at once, or, for a deploy, when the run
    ends (the guard passes the run's `after_run`)."""

    settings: Settings
    url: str
    emit: events.Emit
    target: events.Target
    before: str | None = None
    run_id: str = ""
    for_deploy: bool = False
    label: str = "on-demand"  # the name's tail when not before a migration
    retain: bool = True  # apply keep_last / keep_days afterwards
    then: Callable[[Callable[[], None]], None] = _at_once

    @property
    def policy(self):
        return self.settings.backup

    def name(self, local: LocalStore) -> str:
        """An unused `<database>-<env>-<UTC>-before-<version>` (or `-<label>`)."""
        tail = f"before-{self.before}" if self.before else self.label
        return unused_name(
            local, backup_name(self.target.database, self.target.environment, _now(), tail)
        )


@dataclass(frozen=True)
class Taken:
    """A backup that was taken, and what retention did after it."""

    manifest: Manifest
    location: str  # the dump's (or, for a restore point, the manifest's) path
    deleted: tuple[str, ...] = ()
    retention_error: str = ""
    history: dict = field(default_factory=dict)


def take(job: Job) -> Taken:
    """Take the backup `[backup] method` asks for; BackupFailedError when it cannot be."""
    if job.policy.method == "restore-point":
        from .restore_point import create

        taken = create(job)
    else:
        taken = _dump(job)
    return _retain(job, taken)


def _dump(job: Job) -> Taken:
    began = time.perf_counter()
    local, remote = LocalStore(job.policy.dir), bucket(job.policy)
    name = job.name(local)
    out = local.path(name + DUMP_SUFFIX)
    try:
        local.prepare()
        if remote is not None:
            remote.check()
        with connect(job.url, "audifi-db backup") as conn:
            pg_dump = process.find(
                "pg_dump", job.policy.bin_dir, catalog.server_version(conn) // 10000
            )
            job.emit(
                events.BackupStarted(
                    target=job.target, file=str(out), method="dump", tool=pg_dump.describe()
                )
            )
            manifest = _dump_and_count(job, conn, pg_dump, name, out)
        local.put_manifest(manifest)
        if remote is not None:
            manifest = replace(
                manifest, uploaded_to=remote.upload(out, progress(job.emit, job.target, "upload"))
            )
            local.put_manifest(manifest)
            remote.put_manifest(manifest)
    except (AudiFiDbError, OSError, KeyboardInterrupt) as error:
        raise failed(job, local, name, error) from None
    job.emit(
        events.BackupFinished(
            target=job.target,
            file=str(out),
            size_bytes=manifest.size_bytes,
            duration_ms=int((time.perf_counter() - began) * 1000),
            sha256=manifest.sha256,
            uploaded_to=manifest.uploaded_to,
            manifest=str(local.path(manifest.manifest_file)),
        )
    )
    record = {"file": str(out), "sha256": manifest.sha256, "uploaded_to": manifest.uploaded_to}
    return Taken(manifest, str(out), history={"method": "dump", **record})


def _dump_and_count(job: Job, conn: Connection, pg_dump: Tool, name: str, out: Path) -> Manifest:
    """pg_dump in the snapshot exported on `conn`, while `conn` counts every table in it."""
    created = _now()
    url, password = without_password(job.url)
    with (
        snapshot.exported_snapshot(conn) as exported,
        client_environment(password, "audifi-db backup") as env,
    ):
        args = dump_args(pg_dump.path, url, out, exported)
        with process.Running([args], env) as running, ThreadPoolExecutor(1) as pool:
            reading = pool.submit(_read_snapshot, conn, job.settings)
            try:
                finished = running.wait(lambda _: _dump_progress(job, out))[0]
            except BaseException:
                conn.cancel()
                raise
            if not finished.ok:
                if reading.done() and reading.exception() is not None:
                    raise reading.exception()  # the cause: pg_dump lost its snapshot
                conn.cancel()
                raise BackupFailedError(f"pg_dump failed: {finished.why('pg_dump')}")
            counts, objects, applied, version = reading.result()
    return Manifest(
        name=name,
        database=job.target.database,
        environment=job.target.environment,
        created_at=created,
        server_version=version,
        dump_file=out.name,
        pg_dump=str(pg_dump.path),
        pg_dump_version=pg_dump.version_text,
        size_bytes=out.stat().st_size,
        sha256=sha256_of(out),
        row_counts=counts,
        schema_digest=schema_digest(objects),
        schema_objects=objects,
        applied_versions=applied,
        before_version=job.before or "",
        run_id=job.run_id,
    )


def _read_snapshot(conn: Connection, settings: Settings):
    """What the manifest records, read in the dump's snapshot."""
    objects = snapshot.schema_objects(conn)
    applied = applied_versions(conn, settings)
    version = snapshot.server_version(conn)
    return snapshot.row_counts(conn), objects, applied, version


def applied_versions(conn: Connection, settings: Settings) -> tuple[str, ...]:
    """The migrations the history says are in the database, in order."""
    rows = History.of(conn, settings).read()
    return tuple(r.version for r in rows if r.state in DONE_STATES)


def _dump_progress(job: Job, out: Path) -> None:
    try:
        size = out.stat().st_size
    except OSError:
        return
    job.emit(events.BackupProgress(target=job.target, phase="dump", bytes_done=size))


def failed(job: Job, local: LocalStore, name: str, error: BaseException) -> BaseException:
    """Remove what the failed backup `name` left, say so as an event, and return the error
    to raise (Ctrl-C stays Ctrl-C)."""
    removed = local.remove_partial(name)
    why = getattr(error, "message", None) or (
        "interrupted (Ctrl-C)" if isinstance(error, KeyboardInterrupt) else str(error)
    )
    where = f"removed the partial file {removed[0]}" if removed else "no file was left"
    message = f"backup of {job.target.database} ({job.target.environment}) failed: {why}; {where}"
    hint = getattr(error, "hint", "") or "fix the cause and run it again"
    if job.for_deploy:
        hint = f"{hint}; {SKIP_HINT}"
    job.emit(
        events.BackupFailed(
            target=job.target, message=message, hint=hint, removed_partial=", ".join(removed)
        )
    )
    return error if isinstance(error, KeyboardInterrupt) else BackupFailedError(message, hint)


def _retain(job: Job, taken: Taken) -> Taken:
    """Apply `keep_last` / `keep_days` to this database's backups, locally and in the
    bucket, unless the job says not to. A failure here does not undo the backup: it is
    reported in the result."""
    policy = job.policy
    if not job.retain or not (policy.keep_last or policy.keep_days):
        return taken
    deleted = []
    try:
        for store in (LocalStore(policy.dir), bucket(policy)):
            if store is None:
                continue
            mine = same_target(store.manifests(), job.target.database, job.target.environment)
            for manifest in to_delete(mine, policy.keep_last, policy.keep_days, _now()):
                store.delete(manifest)
                deleted.append(f"{store.where}/{manifest.name}".replace("//", "/"))
    except (AudiFiDbError, OSError) as error:
        return replace(taken, deleted=tuple(deleted), retention_error=str(error))
    return replace(taken, deleted=tuple(deleted))


def unused_name(local: LocalStore, name: str) -> str:
    """`name`, or `name-2`, `name-3`… when a backup of that name is already in the folder."""
    candidate, n = name, 1
    while any(local.path(candidate + s).exists() for s in (DUMP_SUFFIX, MANIFEST_SUFFIX)):
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _now() -> datetime:
    return datetime.now(UTC)
