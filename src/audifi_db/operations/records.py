"""Operations that write records, not schema: `new` (a file), `resolve` and `baseline`
(history rows)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import discovery, events
from ..config import Settings
from ..errors import ConfigError, PlanError, RefusedError
from ..model import Migration, MigrationStatus, State
from ..planning import statuses
from .common import database_url, listening, refusals

if TYPE_CHECKING:
    from ..templates import Request


def new(
    settings: Settings,
    name: str,
    template: Request | None = None,
    report: Callable[[str], None] | None = None,
) -> list[Path]:
    """A new empty migration, or the migrations of a template (`<name>_<step>`), each with
    the next version; `report` hears of other migrations of the same name, and of a column
    a template cannot read in the folder's schema."""
    folder = settings.migrations.dir
    discovery.check_name(name)
    if template is None:
        drafted = [(name, None, ".sql")]
    else:
        from ..templates import READ_THE_FOLDER, drafts

        migrations = discovery.discover(folder) if template.template in READ_THE_FOLDER else []
        made = drafts(template, migrations, report)
        drafted = [(f"{name}_{d.step}", d.text, d.suffix) for d in made]
    taken = [file for step, *_ in drafted for file in discovery.named(folder, step)]
    paths = [
        discovery.create_migration(folder, step, text=text, suffix=suffix)
        for step, text, suffix in drafted  # all drafted (and checked) before the first is written
    ]
    if taken and report is not None:
        report(
            f"warning: {', '.join(taken)} {'uses' if len(taken) == 1 else 'use'} the name "
            f"{name!r} already; "
            "two migrations of one name are hard to tell apart in reviews and `status`"
        )
    return paths


def resolve(
    settings: Settings,
    version: str,
    state: State,
    listeners: Sequence[events.Listener] = (),
) -> MigrationStatus:
    """Record a human's verdict on a failed or in_progress migration."""
    from ..runner import Runner, target_of

    migrations = {m.version: m for m in discovery.discover(settings.migrations.dir)}
    with listening(settings, listeners) as emit:
        runner = Runner(settings, database_url(settings), emit, command="resolve")
        with refusals(emit, target_of(settings), "resolve"):
            with runner.locked() as session:  # a refusal leaves no trace
                rows = _resolve(session, migrations, version, state)
        resolved = next(
            i for i in statuses(list(migrations.values()), rows) if i.version == version
        )
        emit(
            events.MigrationResolved(
                target=target_of(settings), version=version, name=resolved.name, state=state.value
            )
        )
    return resolved


def _resolve(session, migrations: dict[str, Migration], version: str, state: State) -> list:
    """Record the verdict under the lock; the history's rows after it."""
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
    return session.history.read()


def baseline(
    settings: Settings,
    version: str,
    report: Callable[[str], None] | None = None,
    listeners: Sequence[events.Listener] = (),
) -> list[Migration]:
    """Adopt a database whose schema already exists: record every migration up to and
    including `version` as `baselined`, running none of their SQL, in one transaction under
    the migration lock. Refused on a database that already has migration history."""
    from ..runner import Runner, target_of

    migrations = discovery.discover(settings.migrations.dir)
    if version not in {m.version for m in migrations}:
        newest = migrations[-1].version if migrations else "none"
        raise ConfigError(
            f"no migration {version} in {discovery.display_path(settings.migrations.dir)}",
            f"give the version of the newest migration the database already has (newest: {newest})",
        )
    chosen = [m for m in migrations if m.version <= version]
    with listening(settings, listeners) as emit:
        runner = Runner(settings, database_url(settings), emit, command="baseline")
        with refusals(emit, target_of(settings), "baseline"):
            with runner.locked() as session:
                _baseline(settings, session, chosen, report)
        versions = tuple(m.version for m in chosen)
        emit(events.Baselined(target=target_of(settings), versions=versions))
    return chosen


def _baseline(settings: Settings, session, chosen: list[Migration], report) -> None:
    """Record `chosen` as baselined, in one transaction, unless the database has history."""
    from ..postgres import catalog

    recorded = session.history.read()
    if recorded:
        raise RefusedError(
            f"{settings.url_for_humans} already has a migration history "
            f"({len(recorded)} version(s), newest {recorded[-1].version})",
            "baseline is for a database audifi-db has never run on; "
            "`audifi-db status` shows what is recorded",
        )
    if report is not None and not catalog.has_tables(session.conn, settings.migrations.schemas):
        report(
            f"warning: no table in {', '.join(settings.migrations.schemas)}: the migrations "
            "are recorded as applied, but their effects do not seem to be here"
        )
    session.conn.execute("BEGIN")
    try:
        session.history.ensure()
        for migration in chosen:
            session.history.record_baselined(migration)
        session.conn.execute("COMMIT")
    except BaseException:
        session.conn.execute("ROLLBACK")
        raise
