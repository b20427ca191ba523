"""Listeners that observe runs: the lock watcher, Prometheus metrics, webhook alerts, the
GitHub step summary; and the runner's in-transaction measure.

`configured_listeners` returns the listeners the settings ask for and imports only their
modules: with nothing configured it returns none (the lock watcher, a thread and a
connection, is on by default for staging and production only: `[metrics] watch`), and
prometheus-client is imported only when a textfile or a Pushgateway is set.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from ..config import Settings
from ..events import (
    Listener,
    MigrationApplied,
    MigrationFailed,
    RunFailed,
    RunFinished,
    RunStarted,
)

Report = Callable[[str], None]
# The most the end of a run waits for an endpoint still answering: alerts in flight (only
# when one is) and the Pushgateway push. A hanging endpoint costs a deploy this, no more.
END_WAIT_SECONDS = 1.0
# Runs on a throwaway database (`audifi-db check`): no metrics, alerts or summary of theirs.
UNOBSERVED_COMMANDS = frozenset({"check"})
# All a listener that sums a run up needs (EVENTS): its start, each migration's end, its end.
RUN_SUMMARY_EVENTS = frozenset(
    cls.NAME for cls in (RunStarted, MigrationApplied, MigrationFailed, RunFinished, RunFailed)
)


def observed(started: RunStarted) -> bool:
    """Whether the observers report this run: not a dry run, not a throwaway database's."""
    return not started.dry_run and started.command not in UNOBSERVED_COMMANDS


def configured_listeners(
    settings: Settings, url: Callable[[], str], report: Report | None = None
) -> list[Listener]:
    """The observers `settings` ask for. `url` gives the database URL when a listener first
    needs its own connection; `report` takes the one line a listener has for the human."""
    report = report or logging.getLogger("audifi_db").warning
    found: list[Listener] = []
    if settings.metrics.enabled and settings.metrics.watch:
        from .watch import LockWatcher

        found.append(LockWatcher(settings, url, report))
    if settings.metrics.textfile or settings.metrics.pushgateway_url:
        from .metrics import PrometheusMetrics

        found.append(PrometheusMetrics(settings.metrics, report))
    if settings.alerts.webhook_url:
        from .alerts import Alerts

        found.append(Alerts(settings.alerts, report))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        from .summary import StepSummary

        found.append(StepSummary(summary, report))
    return found


def measure_for(settings: Settings):
    """The runner's in-transaction measure, or None when `[metrics] enabled = false`."""
    if not settings.metrics.enabled:
        return None
    from .measure import Measurer

    return Measurer()
