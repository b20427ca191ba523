"""Operations that write records, not schema: `new` (a file), `resolve` (a history row)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .. import discovery
from ..config import Settings
from ..errors import PlanError
from ..model import MigrationStatus, State
from ..planning import statuses
from .common import database_url

if TYPE_CHECKING:
    from ..templates import Request


def new(settings: Settings, name: str, template: Request | None = None) -> list[Path]:
    """A new empty migration, or the migrations of a template, each with the next version."""
    folder = settings.migrations.dir
    if template is None:
        return [discovery.create_migration(folder, name)]
    from ..templates import drafts

    discovery.check_name(name)
    made = drafts(template)  # all checked before the first file is written
    return [
        discovery.create_migration(folder, f"{name}_{d.step}", text=d.text, suffix=d.suffix)
        for d in made
    ]


def resolve(settings: Settings, version: str, state: State) -> MigrationStatus:
    """Record a human's verdict on a failed or in_progress migration."""
    from ..runner import Runner

    migrations = {m.version: m for m in discovery.discover(settings.migrations.dir)}
    runner = Runner(settings, database_url(settings), lambda event: None, command="resolve")
    with runner.locked(ensure_history=False) as session:  # a refusal leaves no trace
        items = {i.version: i for i in statuses(list(migrations.values()), session.history.read())}
        item = items.get(version)
        if item is None or item.state not in (State.FAILED, State.IN_PROGRESS):
            found = item.state.value if item else "unknown"
            raise PlanError(
                f"migration {version} is {found}; only a failed or in_progress migration "
                "can be resolved",
                "see `audifi-db status`",
            )
        migration = migrations.get(version)
        checksum = migration.checksum if migration else item.last.checksum  # type: ignore[union-attr]
        session.history.resolve(item.last, state, checksum)  # type: ignore[arg-type]
        rows = session.history.read()
    return next(i for i in statuses(list(migrations.values()), rows) if i.version == version)
