"""Operations that change the database through the runner: deploy, dev, reset, seed.

Each takes listeners of its events (delivered through one Fanout) and returns a value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .. import discovery, events
from ..config import Settings
from ..errors import ConfigError, PlanError
from ..model import RunOptions
from ..planning import statements_of
from .common import database_url, listening, refuse_protected

Report = Callable[[str], None] | None


def _runner(settings: Settings, emit: events.Emit, command: str, options: RunOptions | None):
    from ..observe import measure_for
    from ..runner import Runner

    url, measure = database_url(settings), measure_for(settings)
    return Runner(settings, url, emit, command=command, options=options, measure=measure)


def deploy(
    settings: Settings,
    listeners: Sequence[events.Listener] = (),
    options: RunOptions | None = None,
    *,
    report: Report = None,
    command: str = "deploy",
):
    """Apply every pending migration in version order, stopping at the first failure.

    With `options.dry_run`, plan and ask every guard, change nothing: the result's verdicts
    say what would be refused."""
    with listening(settings, listeners, report) as emit:
        if command == "dev":
            refuse_protected(settings, "dev", emit)
        migrations = discovery.discover(settings.migrations.dir)
        return _runner(settings, emit, command, options).deploy(migrations)


def dev(
    settings: Settings,
    listeners: Sequence[events.Listener] = (),
    options: RunOptions | None = None,
    *,
    report: Report = None,
):
    """The local loop: deploy to a local database, lint errors blocking. Refused for
    staging and production."""
    return deploy(settings, listeners, options, report=report, command="dev")


def reset(settings: Settings, listeners: Sequence[events.Listener] = (), *, report: Report = None):
    """Drop the managed schemas and the history, then apply every migration again, all
    under the migration lock. Refused for staging and production."""
    from ..postgres import catalog

    migrations = discovery.discover(settings.migrations.dir)
    for migration in migrations:  # a broken file is refused before anything is dropped
        statements_of(migration)
    schemas = tuple(dict.fromkeys((*settings.migrations.schemas, settings.history.schema)))
    with listening(settings, listeners, report) as emit:
        refuse_protected(settings, "reset", emit)
        runner = _runner(settings, emit, "reset", None)
        return runner.deploy(migrations, lambda conn: catalog.recreate_schemas(conn, schemas))


def seed(
    settings: Settings, listeners: Sequence[events.Listener] = (), *, report: Report = None
) -> list[tuple[str, int | None]]:
    """Load db/seeds/*.sql into a local, fully migrated database, each file in one
    transaction, recorded in the history (kind `seed`). A file loaded before with the same
    checksum is skipped, so seeding twice is harmless.

    Returns (file, rows inserted, or None when skipped) pairs. Refused for protected
    environments."""
    from .inspect import status

    with listening(settings, listeners, report) as emit:
        refuse_protected(settings, "seed", emit)
        seeds = discovery.discover_seeds(settings.seeds.dir)
        if not seeds:
            raise ConfigError(f"no seed files in {settings.seeds.dir}", "add db/seeds/*.sql")
        if not status(settings).in_sync:
            raise PlanError(
                "the database is not in sync with the migrations", "run `audifi-db dev` first"
            )
        return _runner(settings, emit, "seed", None).load_seeds(seeds)
