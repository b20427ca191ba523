"""Pure: which backups retention deletes.

A backup is kept when any rule keeps it: it is among the `keep_last` newest, or younger
than `keep_days` days (a rule set to 0 keeps nothing by itself; both 0 keep everything).
The newest verified backup is always kept, whatever the rules say.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from .manifest import Manifest


def to_delete(
    backups: Sequence[Manifest], keep_last: int, keep_days: int, now: datetime
) -> list[Manifest]:
    """The backups of `backups` (one database and environment) that the rules let go,
    newest first."""
    if keep_last == 0 and keep_days == 0:
        return []
    newest_first = sorted(backups, key=lambda b: b.created_at, reverse=True)
    verified = [b for b in newest_first if b.verified_at is not None]
    protected = verified[0].name if verified else None
    doomed = []
    for index, backup in enumerate(newest_first):
        by_count = keep_last > 0 and index < keep_last
        by_age = keep_days > 0 and now - backup.created_at < timedelta(days=keep_days)
        if not (by_count or by_age or backup.name == protected):
            doomed.append(backup)
    return doomed


def same_target(backups: Sequence[Manifest], database: str, environment: str) -> list[Manifest]:
    """The backups of one database in one environment (retention never mixes them)."""
    return [b for b in backups if b.database == database and b.environment == environment]
