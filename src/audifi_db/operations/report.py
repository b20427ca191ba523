"""Read-only views of what runs did: the history (`audifi-db history`) and what the HTML
report shows of one environment (`audifi-db report`). Neither takes the lock."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from ..errors import AudiFiDbError
from ..model import HistoryRow
from .common import database_url
from .inspect import StatusReport, status
from .lint import lint_pending

RECENT_ATTEMPTS = 50


def history(settings: Settings, version: str | None = None, limit: int = 20) -> list[HistoryRow]:
    """The newest attempts first (of one version if given), each with its metrics."""
    from ..postgres.connect import connect
    from ..postgres.history import History

    with connect(database_url(settings), f"audifi-db ({settings.environment})") as conn:
        return History.of(conn, settings).recent(limit, version)


def history_json(row: HistoryRow) -> dict:
    """A history row as JSON: every column, times in ISO 8601."""
    data = row._asdict()
    for key, value in data.items():
        if hasattr(value, "isoformat"):
            data[key] = value.isoformat()
    data.update(state=row.state.value, notes=dict(row.notes), metrics=dict(row.metrics))
    return data


@dataclass(frozen=True)
class EnvironmentReport:
    """What the report shows of one environment; `problem` says why it shows nothing
    (`configured` False: its URL is not set)."""

    environment: str
    database: str = ""
    problem: str = ""
    configured: bool = True
    status: StatusReport | None = None
    recent: tuple[HistoryRow, ...] = ()
    findings: tuple = ()


def environment_report(settings: Settings, limit: int = RECENT_ATTEMPTS) -> EnvironmentReport:
    """State, recent attempts and the lint findings of pending migrations of one
    environment; a database that cannot be read is reported, not raised."""
    where = settings.url_for_humans
    try:
        state = status(settings)
        recent = history(settings, limit=limit)
        findings = lint_pending(settings) if not state.in_sync else []
    except AudiFiDbError as error:
        return EnvironmentReport(settings.environment, where, problem=str(error))
    return EnvironmentReport(
        settings.environment, where, status=state, recent=tuple(recent), findings=tuple(findings)
    )
