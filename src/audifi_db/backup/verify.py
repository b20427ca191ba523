"""`audifi-db backup verify`: prove a backup restores to what its manifest says.

The dump is checked against the manifest's size and sha256, restored with pg_restore into
a scratch database on the same server (dropped afterwards whatever happens), and every
table's row count and every schema object compared with the manifest. A backup that
passes is marked verified in its manifest (retention never deletes the newest such one).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .. import events
from ..config import Settings
from ..errors import ConfigError
from ..pgtools import client_environment, major_of, without_password
from ..postgres import catalog, snapshot
from ..postgres.connect import connect
from . import process
from .commands import restore_args, with_database
from .manifest import Manifest, differences, sha256_of_file
from .progress import progress, restore_progress
from .store import Located

JOBS = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class Verification:
    location: str
    manifest: Manifest
    differences: tuple[str, ...]
    scratch_database: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return not self.differences


def verify(
    settings: Settings, url: str, emit: events.Emit, target: events.Target, location: str
) -> Verification:
    """Restore the backup at `location` into a scratch database of the server at `url` and
    compare it with its manifest; the result lists every difference (none: verified)."""
    began = time.perf_counter()
    scratch = f"audifi_verify_{secrets.token_hex(6)}"
    with Located(settings.backup, location) as found:
        manifest = found.manifest
        if manifest.method != "dump":
            raise ConfigError(
                f"{location} is a restore point: there is no dump to verify",
                "your archiving tool (pgBackRest, WAL-G, Barman) verifies the archive",
            )
        with found.open(progress(emit, target, "download")) as dump:
            found_differences = file_differences(dump, manifest)
            found_differences += restored_differences(
                settings, url, emit, target, Path(dump.name), manifest, scratch
            )
        if not found_differences:
            found.save(manifest.verified())
    emit(
        events.BackupVerified(
            target=target,
            file=location,
            ok=not found_differences,
            differences=tuple(found_differences),
        )
    )
    elapsed = int((time.perf_counter() - began) * 1000)
    return Verification(location, manifest, tuple(found_differences), scratch, elapsed)


def file_differences(dump: BinaryIO, manifest: Manifest) -> list[str]:
    """The open dump's size and sha256 against the manifest's."""
    size = os.fstat(dump.fileno()).st_size
    if size != manifest.size_bytes:
        return [
            f"file: {size} bytes, the manifest says {manifest.size_bytes} (truncated or replaced)"
        ]
    digest = sha256_of_file(dump)
    if digest != manifest.sha256:
        return [f"file: sha256 {digest}, the manifest says {manifest.sha256}"]
    return []


def restored_differences(
    settings: Settings,
    url: str,
    emit: events.Emit,
    target: events.Target,
    dump: Path,
    manifest: Manifest,
    scratch: str,
) -> list[str]:
    """Restore `dump` into the new database `scratch` and compare it with the manifest;
    the scratch database is dropped whatever happens."""
    with connect(url, "audifi-db verify") as admin:
        need = max(catalog.server_version(admin) // 10000, major_of(manifest.pg_dump_version))
        pg_restore = process.find("pg_restore", settings.backup.bin_dir, need)
        snapshot.create_database(admin, scratch)
        try:
            scratch_url = with_database(url, scratch)
            plain, password = without_password(scratch_url)
            args = restore_args(pg_restore.path, dump, plain, jobs=JOBS, scratch=True)
            with client_environment(password, "audifi-db backup") as env:
                tick = restore_progress(emit, target, manifest.size_bytes)
                finished = process.run(args, env, tick)
            if not finished.ok:
                return [f"pg_restore failed: {finished.why('pg_restore')}"]
            with connect(scratch_url, "audifi-db verify") as conn:
                counts, objects = snapshot.row_counts(conn), snapshot.schema_objects(conn)
            return differences(manifest, counts, objects)
        finally:
            snapshot.drop_database(admin, scratch)
