"""Backups on demand: take one, list them, verify one, restore one (see `backup/`).

Each takes listeners of its events (progress, started, finished, failed, verified) and
returns a value; none prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .. import events
from ..config import Settings
from .common import database_url, listening
from .run import Report

if TYPE_CHECKING:
    from ..backup.manifest import Manifest


def _target(settings: Settings) -> events.Target:
    return events.Target(settings.environment, settings.database_name, settings.url_for_humans)


def backup(settings: Settings, listeners: Sequence[events.Listener] = (), *, report: Report = None):
    """Take a backup of the environment's database now, as `[backup]` says (dump or
    restore point, upload, retention). Returns `backup.dump.Taken`."""
    from ..backup.dump import Job, take

    url = database_url(settings)
    with listening(listeners, report) as emit:
        return take(Job(settings, url, emit, _target(settings)))


@dataclass(frozen=True)
class Listed:
    """A backup as `backup list` shows it: where it is and its manifest."""

    where: str  # the folder or s3://bucket/prefix/
    location: str  # what `verify` and `restore` take
    manifest: Manifest

    def to_json(self, now: datetime) -> dict:
        m = self.manifest
        return {
            "location": self.location,
            "name": m.name,
            "database": m.database,
            "environment": m.environment,
            "method": m.method,
            "created_at": m.to_json()["created_at"],
            "age_seconds": int((now - m.created_at).total_seconds()),
            "size_bytes": m.size_bytes,
            "applied_versions": list(m.applied_versions),
            "before_version": m.before_version,
            "verified_at": m.to_json()["verified_at"],
            "uploaded_to": m.uploaded_to,
        }


def list_backups(settings: Settings) -> list[Listed]:
    """Every backup in the folder and (with `[backup] s3_url`) the bucket, newest first."""
    from ..backup.store import LocalStore, bucket

    found = []
    local = LocalStore(settings.backup.dir)
    for manifest in local.manifests():
        path = local.path(manifest.dump_file or manifest.manifest_file)
        found.append(Listed(local.where, str(path), manifest))
    remote = bucket(settings.backup)
    if remote is not None:
        for manifest in remote.manifests():
            url = remote.url_of(manifest.dump_file or manifest.manifest_file)
            found.append(Listed(remote.where, url, manifest))
    return sorted(found, key=lambda item: item.manifest.created_at, reverse=True)


def verify_backup(
    settings: Settings,
    location: str,
    listeners: Sequence[events.Listener] = (),
    *,
    report: Report = None,
):
    """Restore the backup at `location` (a file or s3:// URL) into a scratch database on
    the environment's server and compare it with its manifest. Returns
    `backup.verify.Verification` (`.ok`, `.differences`)."""
    from ..backup.verify import verify

    url = database_url(settings)
    with listening(listeners, report) as emit:
        return verify(settings, url, emit, _target(settings), location)


def restore(
    settings: Settings,
    location: str,
    confirm: str | None = None,
    listeners: Sequence[events.Listener] = (),
    *,
    report: Report = None,
):
    """Restore the backup at `location` into the environment's database (staging and
    production: only with `confirm` equal to the database's name, after a backup of the
    current state). A restore point is not restored: the result's `recovery` holds the
    settings of a point-in-time recovery. Returns `backup.restore.Restored`."""
    from ..backup.restore import refuse_unconfirmed
    from ..backup.restore import restore as run_restore

    if location.endswith(".dump"):
        refuse_unconfirmed(settings, confirm)  # before any download or connection
    url = database_url(settings)
    with listening(listeners, report) as emit:
        return run_restore(settings, url, emit, _target(settings), location, confirm)
