"""`audifi-db restore`: put a backup back into an environment's database.

Local: freely. Staging and production: only with `--confirm <database name>`, and only
after a backup of the current state, which deletes no backup (retention waits for the next
backup: a restore deletes neither its source nor one the operator may fall back to). The
dump is opened once, checked against its manifest and read by pg_restore from that open
file, so whatever deletes it meanwhile, the restore reads what was checked. The restore
holds the migration lock (no deploy runs meanwhile) and is one transaction: psql drops
every schema outside PostgreSQL's own, then runs the dump's SQL (from pg_restore), and
commits only if all of it worked; a restore that fails leaves the database as it was. The
history table is in the dump, so `status` after a restore tells the truth. A restore
point's manifest is not restored: its point-in-time recovery settings are returned instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import BinaryIO

from .. import events
from ..config import Settings
from ..errors import RestoreFailedError, RestoreRefusedError
from ..pgtools import client_environment, major_of, without_password
from ..postgres import catalog, snapshot
from . import process
from .commands import psql_args, restore_sql_args, transaction
from .manifest import Manifest
from .progress import progress, restore_progress
from .restore_point import recovery_settings
from .store import Located
from .verify import file_differences


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    recovery: str = ""  # a restore point: the settings of a point-in-time recovery
    safety_backup: str = ""  # the backup of the state before the restore
    duration_ms: int = 0


def restore(
    settings: Settings,
    url: str,
    emit: events.Emit,
    target: events.Target,
    location: str,
    confirm: str | None,
) -> Restored:
    began = time.perf_counter()
    with Located(settings.backup, location) as found:
        manifest = found.manifest
        if manifest.method == "restore-point":
            return Restored(manifest, recovery=recovery_settings(manifest))
        refuse_unconfirmed(settings, confirm)
        with found.open(progress(emit, target, "download")) as dump:
            mismatch = file_differences(dump, manifest)
            if mismatch:
                raise RestoreRefusedError(
                    f"{location} does not match its manifest: {mismatch[0]}; nothing was changed",
                    "restore another backup (`audifi-db backup list`)",
                )
            from ..runner import Runner

            runner = Runner(settings, url, emit, command="restore")
            with runner.locked() as session:
                safety = _safety_backup(settings, url, emit, target)
                need = max(
                    catalog.server_version(session.conn) // 10000,
                    major_of(manifest.pg_dump_version),
                )
                drop = snapshot.user_schemas(session.conn)
                _restore(settings, url, emit, target, dump, manifest, drop, need)
    elapsed = int((time.perf_counter() - began) * 1000)
    return Restored(manifest, safety_backup=safety, duration_ms=elapsed)


def refuse_unconfirmed(settings: Settings, confirm: str | None) -> None:
    """RestoreRefusedError for a protected environment unless `confirm` is its database."""
    if not settings.protected or confirm == settings.database_name:
        return
    given = "without --confirm" if confirm is None else f"with --confirm {confirm!r}"
    raise RestoreRefusedError(
        f"restore into {settings.environment} ({settings.database_name}) refused {given}; "
        "nothing was changed",
        f"type the database's name: --confirm {settings.database_name}",
    )


def _safety_backup(settings: Settings, url: str, emit: events.Emit, target) -> str:
    """Before replacing a protected environment's data: a backup of it as it is. It
    applies no retention: a restore deletes no backup, its own source least of all."""
    if not settings.protected:
        return ""
    from .dump import Job, take

    return take(Job(settings, url, emit, target, label="before-restore", retain=False)).location


def _restore(settings, url, emit, target, dump: BinaryIO, manifest, drop, need_major) -> None:
    """pg_restore's SQL (from the open `dump`) into psql, after dropping `drop`, in one
    transaction."""
    pg_restore = process.find("pg_restore", settings.backup.bin_dir, need_major)
    psql = process.sibling(pg_restore, "psql")
    plain, password = without_password(url)
    before, after = transaction(catalog.recreate_schemas_sql(drop, ["public"]))
    commands = [restore_sql_args(pg_restore.path), psql_args(psql.path, plain)]
    with (
        client_environment(password, "audifi-db backup") as env,
        process.Running(commands, env, prologue=before, epilogue=after, stdin=dump) as running,
    ):
        restored, ran = running.wait(restore_progress(emit, target, manifest.size_bytes))
    for name, outcome in (("psql", ran), ("pg_restore", restored)):
        if not outcome.ok:
            raise RestoreFailedError(
                f"restore of {manifest.dump_file} failed: {outcome.why(name)}; the database was left "
                "as it was (one transaction, not committed)",
                "`audifi-db backup verify` tells whether the backup restores",
            )
