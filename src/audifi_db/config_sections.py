"""The sections of audifi-db.toml: one named tuple each, listed in SECTIONS (a new
section is one class and one line); each field's default gives its type, and an optional
`checked()` refuses a bad value with the key named. `config` reads them. Named tuples, not
dataclasses: every command builds them, and `status` is a command people run in a loop
(creating a dataclass compiles its methods; the sections and the model cost 20-30 ms so).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, NamedTuple

from .errors import ConfigError

ORDERS = ("strict", "allow")


def parse_server_version(value: str | int) -> int:
    """PostgreSQL's integer form of a version: `15`, `15.4`, `150004` -> 150000 / 150004."""
    text = str(value).strip()
    major, _, minor = text.partition(".")
    number = int(major)
    if number >= 10000:
        return number
    return number * 10000 + (int(minor) if minor else 0)


class MigrationsSettings(NamedTuple):
    dir: Path = Path("db/migrations")
    schemas: tuple[str, ...] = ("public",)
    order: str = "strict"  # "allow": apply a pending migration older than the newest applied
    dump_schema: bool = False  # deploy refreshes db/schema.sql

    def checked(self) -> MigrationsSettings:
        if self.order not in ORDERS:
            raise ConfigError(
                f"[migrations] order = {self.order!r} is not one of {', '.join(ORDERS)}",
                'strict (the default) refuses out-of-order migrations; "allow" applies them',
            )
        return self


class HistorySettings(NamedTuple):
    schema: str = "public"
    table: str = "audifi_migrations"


class LockSettings(NamedTuple):
    wait_seconds: float = 60.0

    def checked(self) -> LockSettings:
        if not math.isfinite(self.wait_seconds) or self.wait_seconds < 0:
            raise ConfigError(
                f"[lock] wait_seconds = {self.wait_seconds!r} must be a finite number of "
                "seconds, 0 or more",
                "e.g. AUDIFI_DB_LOCK_WAIT_SECONDS=60",
            )
        return self


class LintSettings(NamedTuple):
    server_version: int = 0  # 0: the target's, or the newest known; 15 means 150000
    # without a database: how names resolve, and the session time zone that decides whether
    # timestamp -> timestamptz rewrites (with a database, the database's own settings win)
    timezone: str = "UTC"
    search_path: tuple[str, ...] = ("public",)

    def checked(self) -> LintSettings:
        return self._replace(server_version=parse_server_version(self.server_version))


class SeedsSettings(NamedTuple):
    dir: Path = Path("db/seeds")


class EmbeddedSettings(NamedTuple):
    data_dir: Path = Path(".audifi/pgdata")
    database: str = "audifi_dev"


class BackupSettings(NamedTuple):
    before_deploy: bool = False  # the built-in staging and production say true
    dir: Path = Path(".audifi/backups")
    method: str = "dump"  # or "restore-point"
    s3_url: str = ""  # s3://bucket/prefix/
    s3_endpoint_url: str = ""
    s3_part_mb: int = 64  # uploads over this size go in parts of this size (S3: 5 or more)
    keep_last: int = 0  # 0: no count limit
    keep_days: int = 0  # 0: no age limit
    bin_dir: str = ""  # pg_dump/pg_restore/psql from here; "": PATH, then pgserver's
    archive_wait_seconds: float = 60.0  # restore-point: how long to wait for the archiver

    def checked(self) -> BackupSettings:
        problems = {
            "method": (self.method in ("dump", "restore-point"), '"dump" or "restore-point"'),
            "s3_url": (
                not self.s3_url or self.s3_url.startswith("s3://") and len(self.s3_url) > 5,
                "s3://bucket/prefix/",
            ),
            "s3_part_mb": (self.s3_part_mb >= 5, "5 or more (S3's smallest part)"),
            "keep_last": (self.keep_last >= 0, "0 (no limit) or more"),
            "keep_days": (self.keep_days >= 0, "0 (no limit) or more"),
            "archive_wait_seconds": (self.archive_wait_seconds > 0, "a positive number"),
        }
        for key, (ok, expected) in problems.items():
            if not ok:
                raise ConfigError(
                    f"[backup] {key} = {getattr(self, key)!r} is not valid",
                    f"expected {expected} (AUDIFI_DB_BACKUP_{key.upper()})",
                )
        return self


class AlertsSettings(NamedTuple):
    webhook_url: tuple[str, ...] = ()
    format: str = "slack"  # or "json"
    long_running_seconds: float = 300.0
    timeout_seconds: float = 5.0  # per delivery attempt

    def checked(self) -> AlertsSettings:
        if self.format not in ("slack", "json"):
            raise ConfigError(
                f"[alerts] format = {self.format!r} is not known", 'use "slack" or "json"'
            )
        for key in ("long_running_seconds", "timeout_seconds"):
            value = getattr(self, key)
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(
                    f"[alerts] {key} = {value!r} must be a finite number of seconds above 0",
                    f"e.g. AUDIFI_DB_ALERTS_{key.upper()}=300",
                )
        return self


class MetricsSettings(NamedTuple):
    # measure each migration (locks, rows, sizes) into its history row; the built-in staging
    # and production say true. Off for local: a dev loop of many tiny migrations pays a
    # round trip each (pg_locks) for numbers nobody reads (bench/metrics_bench.py: 1.2-1.4x).
    enabled: bool = False
    watch: bool = False  # sample who waits on its locks (built-in staging, production: true)
    textfile: str = ""  # a .prom file for node_exporter's textfile collector
    pushgateway_url: str = ""


class OnlineSettings(NamedTuple):
    """Bounded lock waits and backfill throttling: what keeps a migration from stalling
    live traffic (README, "Zero-downtime toolkit")."""

    lock_timeout_ms: int = 200  # each statement's wait for a lock; 0: wait forever
    statement_timeout_ms: int = 0  # 0: off (a backfill batch or an index build may be long)
    retry_deadline_seconds: float = 300.0  # lock-timeout retries (and replica pauses) stop here
    max_replica_lag_seconds: float = 10.0  # backfills pause above this replay lag; 0: never

    def checked(self) -> OnlineSettings:
        for name in ("lock_timeout_ms", "statement_timeout_ms"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"[online] {name} = {getattr(self, name)!r} must be 0 or more",
                    f"e.g. AUDIFI_DB_ONLINE_{name.upper()}=200 (0 turns it off)",
                )
        for name in ("retry_deadline_seconds", "max_replica_lag_seconds"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigError(
                    f"[online] {name} = {value!r} must be a finite number of seconds, 0 or more",
                    f"e.g. AUDIFI_DB_ONLINE_{name.upper()}=300",
                )
        return self


SECTIONS: dict[str, type] = {
    "migrations": MigrationsSettings,
    "history": HistorySettings,
    "lock": LockSettings,
    "lint": LintSettings,
    "seeds": SeedsSettings,
    "embedded": EmbeddedSettings,
    "backup": BackupSettings,
    "alerts": AlertsSettings,
    "metrics": MetricsSettings,
    "online": OnlineSettings,
}
# An environment's own keys; every section may also be overridden in it.
ENVIRONMENT_KEYS: dict[str, object] = {"url_variable": "", "protected": False, "requires": ""}
BUILTIN_ENVIRONMENTS: dict[str, dict[str, Any]] = {
    "local": {"url_variable": "DATABASE_URL"},
    "staging": {
        "url_variable": "STAGING_DATABASE_URL",
        "protected": True,
        "backup": {"before_deploy": True},
        "metrics": {"enabled": True, "watch": True},
    },
    "production": {
        "url_variable": "PRODUCTION_DATABASE_URL",
        "protected": True,
        "requires": "staging",
        "backup": {"before_deploy": True},
        "metrics": {"enabled": True, "watch": True},
    },
}
