"""Continuous archiving, for `[backup] method = "restore-point"`: is WAL being archived,
a named restore point, and the WAL switch that sends it to the archive.

The functions need a superuser, or a role granted EXECUTE on pg_switch_wal and
pg_create_restore_point.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from .connect import Connection


@dataclass(frozen=True)
class ArchiverState:
    """`archive_mode` and `pg_stat_archiver`'s last success and failure."""

    archive_mode: str
    archive_command: str
    last_archived_wal: str | None
    last_archived_time: datetime | None
    last_failed_wal: str | None
    last_failed_time: datetime | None

    @property
    def failing(self) -> bool:
        """The newest attempt failed (a failure later than the last success)."""
        if self.last_failed_time is None:
            return False
        return self.last_archived_time is None or self.last_failed_time > self.last_archived_time


def archiver_state(conn: Connection) -> ArchiverState:
    row = conn.query_one(
        """
        SELECT current_setting('archive_mode'),
               coalesce(nullif(current_setting('archive_library', true), ''),
                        current_setting('archive_command')),
               last_archived_wal, last_archived_time, last_failed_wal, last_failed_time
          FROM pg_stat_archiver
        """
    )
    return ArchiverState(*row)


def switch_wal(conn: Connection) -> str:
    """Close the current WAL segment so the archiver takes it; the segment's file name."""
    return conn.query_one("SELECT pg_walfile_name(pg_switch_wal())")[0]


def wait_archived(conn: Connection, segment: str, seconds: float) -> ArchiverState:
    """Poll pg_stat_archiver until `segment` (or a later one) is archived, a failure shows,
    or `seconds` pass; the last state seen."""
    deadline = time.monotonic() + seconds
    while True:
        state = archiver_state(conn)
        done = state.last_archived_wal is not None and state.last_archived_wal[:24] >= segment
        if done or state.failing or time.monotonic() >= deadline:
            return state
        time.sleep(0.2)


@dataclass(frozen=True)
class RestorePoint:
    name: str
    lsn: str
    wal_file: str
    timeline: int


def create_restore_point(conn: Connection, name: str) -> RestorePoint:
    """`pg_create_restore_point(name)`: where it is in the WAL."""
    row = conn.query_one(
        "SELECT lsn::text, pg_walfile_name(lsn), timeline_id "
        "FROM pg_create_restore_point(%s) AS lsn, pg_control_checkpoint()",
        (name,),
    )
    return RestorePoint(name, row[0], row[1], row[2])
