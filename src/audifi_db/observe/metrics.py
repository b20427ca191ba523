"""Prometheus metrics of a run: node_exporter's textfile collector and the Pushgateway.

A listener. When the run ends it builds one registry (prometheus-client, imported only
then) and writes it atomically to `[metrics] textfile` (a temporary file renamed over the
old one) and/or adds it to the Pushgateway at `[metrics] pushgateway_url` (job `audifi_db`,
grouped by environment and database; a POST, so metrics this run does not set keep their
last value there). FAMILIES below lists the metrics; each carries `environment` and
`database` labels. `audifi_db_last_success_timestamp_seconds` is the last run that
succeeded: a failed run keeps the value the textfile already had (without a textfile it
pushes none, and the Pushgateway keeps its own). A `seed` run keeps
`audifi_db_migrations_pending` so: seed files are not migrations. How long others waited on
a migration's locks is not here: the lock watcher sees it after the migration's event, and
the history row keeps it.

A file that cannot be written or a push that fails (no answer within END_WAIT_SECONDS
included) is one line through `report`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import events
from ..config_sections import MetricsSettings
from . import END_WAIT_SECONDS, RUN_SUMMARY_EVENTS, observed
from .delivery import shown, with_basic_auth

JOB = "audifi_db"
LAST_SUCCESS = "audifi_db_last_success_timestamp_seconds"
PENDING = "audifi_db_migrations_pending"
_MIGRATION = ("version", "name")
FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "audifi_db_migration_duration_seconds": (
        "How long each migration the last run tried took.",
        (*_MIGRATION, "state"),
    ),
    "audifi_db_migration_rows_affected": (
        "Rows the migration inserted, updated or deleted.",
        _MIGRATION,
    ),
    "audifi_db_migration_index_bytes": ("Size of the indexes the migration built.", _MIGRATION),
    "audifi_db_migration_locked_relations": (
        "Relations the migration locked, by the strongest mode it held on each.",
        (*_MIGRATION, "mode"),
    ),
    PENDING: ("Migrations not yet applied after the last run.", ()),
    "audifi_db_run_migrations_applied": ("Migrations the last run applied.", ()),
    "audifi_db_last_run_success": ("1 if the last run succeeded, else 0.", ()),
    "audifi_db_last_run_timestamp_seconds": ("When the last run ended (Unix time).", ()),
    "audifi_db_last_run_duration_seconds": ("How long the last run took.", ()),
    LAST_SUCCESS: ("When a run last succeeded (Unix time).", ()),
}


class PrometheusMetrics:
    """Listener collecting a run's events into Prometheus metrics, written when it ends."""

    EVENTS = RUN_SUMMARY_EVENTS

    def __init__(self, settings: MetricsSettings, report: Callable[[str], None]) -> None:
        self.settings, self.report = settings, report
        self.started: events.RunStarted | None = None
        self.ended: events.RunFinished | events.RunFailed | None = None
        self.migrations: list[dict[str, Any]] = []

    def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.RunStarted):
            self.started = event if observed(event) else None
        elif isinstance(event, events.MigrationApplied):
            self.migrations.append(_applied(event))
        elif isinstance(event, events.MigrationFailed):
            self.migrations.append(
                {
                    "version": event.version,
                    "name": event.name,
                    "state": "failed",
                    "seconds": event.duration_ms / 1000,
                }
            )
        elif isinstance(event, events.RunFinished | events.RunFailed):
            self.ended = event

    def close(self) -> None:
        if self.started is None or self.ended is None:
            return  # a dry run, or a command that never started a run
        registry = self.registry()
        if self.settings.textfile:
            self._write(registry)
        if self.settings.pushgateway_url:
            self._push(registry)

    def registry(self):
        """The run's metrics in a registry of their own."""
        from prometheus_client import CollectorRegistry, Gauge

        assert self.started is not None and self.ended is not None
        target, ended = self.started.target, self.ended
        base = {"environment": target.environment, "database": target.database}
        registry = CollectorRegistry()
        gauges = {
            name: Gauge(name, doc, [*base, *extra], registry=registry)
            for name, (doc, extra) in FAMILIES.items()
        }

        def put(family: str, value: float, **labels: str) -> None:
            gauges[family].labels(**base, **labels).set(value)

        for m in self.migrations:
            ident = {"version": m["version"], "name": m["name"]}
            put("audifi_db_migration_duration_seconds", m["seconds"], **ident, state=m["state"])
            if m["state"] == "applied":
                put("audifi_db_migration_rows_affected", m["rows"], **ident)
                put("audifi_db_migration_index_bytes", m["index_bytes"], **ident)
                for mode, count in m["locks"].items():
                    put("audifi_db_migration_locked_relations", count, **ident, mode=mode)
        applied = sum(m["state"] == "applied" for m in self.migrations)
        success = isinstance(ended, events.RunFinished)
        put("audifi_db_run_migrations_applied", applied)
        put("audifi_db_last_run_success", float(success))
        put("audifi_db_last_run_timestamp_seconds", ended.at.timestamp())
        put("audifi_db_last_run_duration_seconds", ended.duration_ms / 1000)
        kept = {
            # a seed run's files are not migrations: it leaves the pending gauge as it was
            PENDING: self._previous(PENDING, base)
            if self.started.command == "seed"
            else max(0, self.started.pending_total - applied),
            LAST_SUCCESS: ended.at.timestamp() if success else self._previous(LAST_SUCCESS, base),
        }
        for family, value in kept.items():
            if value is None:
                registry.unregister(gauges[family])
            else:
                put(family, value)
        return registry

    def _previous(self, family: str, labels: dict[str, str]) -> float | None:
        """The value the textfile holds for `family` with these labels, so that a run that
        does not set it (a failed run, the last success; a seed run, the pending gauge)
        keeps it."""
        if not self.settings.textfile:
            return None
        from prometheus_client.parser import text_string_to_metric_families

        try:
            text = Path(self.settings.textfile).read_text(encoding="utf-8")
            families = list(text_string_to_metric_families(text))
        except (OSError, ValueError):
            return None
        samples = [
            s
            for f in families
            if f.name == family
            for s in f.samples
            if labels.items() <= s.labels.items()
        ]
        return samples[0].value if samples else None

    def _write(self, registry) -> None:
        from prometheus_client import write_to_textfile

        try:
            write_to_textfile(self.settings.textfile, registry)
        except OSError as exc:
            self.report(f"metrics not written to {self.settings.textfile}: {exc.strerror or exc}")

    def _push(self, registry) -> None:
        from prometheus_client import pushadd_to_gateway
        from prometheus_client.exposition import default_handler

        url, auth = with_basic_auth(self.settings.pushgateway_url)

        def handler(url, method, timeout, headers, data):
            return default_handler(url, method, timeout, [*headers, *auth.items()], data)

        assert self.started is not None
        target = self.started.target
        key = {"environment": target.environment, "database": target.database}
        try:
            pushadd_to_gateway(url, JOB, registry, key, END_WAIT_SECONDS, handler)
        except (OSError, ValueError) as exc:
            reason = getattr(getattr(exc, "reason", None), "strerror", None) or exc
            self.report(f"metrics not pushed to {shown(self.settings.pushgateway_url)}: {reason}")


def _applied(event: events.MigrationApplied) -> dict[str, Any]:
    measured = event.measurements or {}
    locks: dict[str, int] = {}
    for lock in measured.get("locks", []):
        locks[lock["mode"]] = locks.get(lock["mode"], 0) + 1
    return {
        "version": event.version,
        "name": event.name,
        "state": "applied",
        "seconds": event.duration_ms / 1000,
        "rows": event.rows_affected,
        "index_bytes": sum(i.get("bytes") or 0 for i in measured.get("indexes", [])),
        "locks": locks,
    }
