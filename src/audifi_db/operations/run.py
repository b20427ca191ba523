"""Operations that change the database through the runner: deploy, dev, reset, seed.

Each takes listeners of its events (delivered through one Fanout) and returns a value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .. import discovery, events
from ..config import Settings
from ..errors import ConfigError, PlanError, ResetRefusedError
from ..model import RunOptions
from ..planning import statements_of
from .admin import database_created
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
    create_db: bool = False,
):
    """Apply every pending migration in version order, stopping at the first failure;
    `create_db`: create the database first when it is missing.

    With `options.dry_run`, plan and ask every guard, change nothing: the result's verdicts
    say what would be refused."""
    with listening(settings, listeners, report) as emit:
        if command == "dev":
            refuse_protected(settings, "dev", emit)
        if create_db and database_created(settings, emit) and report is not None:
            report(f"created database {settings.database_name}")
        migrations = discovery.discover(settings.migrations.dir)
        result = _runner(settings, emit, command, options).deploy(migrations)
    if settings.migrations.dump_schema and not (options and options.dry_run):
        _refresh_schema(settings, result.applied, report)
    return result


def _refresh_schema(settings: Settings, applied: int, report: Report) -> None:
    """[migrations] dump_schema: rewrite the schema file after a run that applied something
    (or when there is none yet). The migrations are applied whatever happens here, so a
    failure is a warning, not the run's failure."""
    from ..errors import AudiFiDbError
    from .schema import dump_schema, schema_path

    if not applied and schema_path(settings).exists():
        return
    try:
        path, changed = dump_schema(settings)
    except AudiFiDbError as error:
        if report is not None:
            report(f"warning: the schema file was not refreshed: {error.message} ({error.hint})")
        return
    if changed and report is not None:
        report(f"wrote {discovery.display_path(path)}")


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
    """Drop the managed schemas, the schemas the migrations create and the history, then
    apply every migration again, all under the migration lock. Refused for staging and
    production, and, with nothing dropped, when the database holds a schema that is neither
    managed, nor created by a migration's CREATE SCHEMA (its DO block's too), nor
    PostgreSQL's own: a migration may make it some other way (a Python migration, a
    function, EXECUTE format(…)), and re-applying the migrations would then fail half-way."""
    migrations = discovery.discover(settings.migrations.dir)
    # a broken file is refused before anything is dropped
    statements = [s for migration in migrations for s in statements_of(migration)]
    created = tuple(dict.fromkeys(name for s in statements for name in s.creates_schemas))
    managed = (*settings.migrations.schemas, settings.history.schema)
    recreated = tuple(schema for schema in dict.fromkeys(managed) if schema not in created)

    def drop(conn) -> None:
        from ..postgres import catalog

        unknown = [s for s in catalog.user_schemas(conn) if s not in (*recreated, *created)]
        if unknown:
            raise ResetRefusedError(
                f"reset refused: the database holds schema(s) {', '.join(unknown)}, "
                "neither in [migrations] schemas nor created by a migration's CREATE SCHEMA, "
                "so re-applying the migrations might collide with them; nothing was dropped",
                "drop them by hand (`DROP SCHEMA <name> CASCADE`) if a migration makes them "
                "some other way (a Python migration, a function, EXECUTE format(…)) or they "
                "hold nothing you need; list them in [migrations] schemas if the migrations "
                "expect them to exist (reset then empties them)",
            )
        catalog.recreate_schemas(conn, recreated, drop_only=created)

    with listening(settings, listeners, report) as emit:
        refuse_protected(settings, "reset", emit)
        return _runner(settings, emit, "reset", None).deploy(migrations, drop)


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
