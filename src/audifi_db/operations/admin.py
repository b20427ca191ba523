"""The configured database itself: create it, drop it, wait for its server."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..config import Settings
from .common import listening, refuse_protected

if TYPE_CHECKING:
    from .. import events


def _url(settings: Settings) -> str:
    """The configured URL; for the embedded server, its URL (the database is not created)."""
    if settings.database_url is not None:
        return settings.database_url
    from ..postgres import embedded

    return embedded.start(settings.embedded.data_dir, settings.embedded.database, create=False)


def create_database(settings: Settings, listeners: Sequence[events.Listener] = ()) -> bool:
    """Create the environment's database; False when it exists already."""
    with listening(settings, listeners) as emit:
        return database_created(settings, emit)


def database_created(settings: Settings, emit: events.Emit) -> bool:
    """Create the environment's database, an event when it did; False when it existed
    (`deploy --create-db` calls it inside its own run's fan-out)."""
    from .. import events
    from ..postgres import admin
    from ..runner import target_of

    created = admin.create_database(_url(settings))
    if created:
        emit(events.DatabaseCreated(target=target_of(settings)))
    return created


def drop_database(
    settings: Settings,
    listeners: Sequence[events.Listener] = (),
    confirm: Callable[[], bool] = lambda: True,
) -> bool | None:
    """Drop the environment's database: True when dropped, False when there was none, None
    when `confirm` (asked after the policy check) said no. Refused for staging and
    production."""
    from .. import events
    from ..postgres import admin
    from ..runner import target_of

    with listening(settings, listeners) as emit:
        refuse_protected(settings, "db drop", emit)
        if not confirm():
            return None
        dropped = admin.drop_database(_url(settings))
        if dropped:
            emit(events.DatabaseDropped(target=target_of(settings)))
    return dropped


def wait_for_database(
    settings: Settings, seconds: float, report: Callable[[str], None], *, server_only: bool = False
) -> None:
    """Wait up to `seconds` for the database (or only its server, `server_only`, when the
    database is yet to be created) to accept connections, reporting every few seconds. The
    embedded server needs no wait: starting it waits until it is ready."""
    if settings.database_url is None:
        return
    from ..postgres import admin

    url = settings.database_url
    admin.wait_until_ready(admin.maintenance_url(url) if server_only else url, seconds, report)


def embedded_status(settings: Settings):
    """The project's embedded server if it runs (see postgres.embedded.Running), else None."""
    from ..postgres import embedded

    return embedded.running(settings.embedded.data_dir)


def embedded_stop(settings: Settings):
    """Stop the project's embedded server; what was stopped, or None when nothing ran."""
    from ..postgres import embedded

    return embedded.stop(settings.embedded.data_dir)


def embedded_wipe(settings: Settings, *, dry_run: bool = False) -> None:
    """Stop the embedded server and delete its data (`reset --embedded`); refused when the
    environment has a database URL, which the embedded server is not. `dry_run`: only
    refuse."""
    from ..errors import ConfigError
    from ..postgres import embedded

    if settings.database_url is not None:
        raise ConfigError(
            f"--embedded starts the embedded server afresh, and {settings.environment} uses "
            f"{settings.url_for_humans}",
            "leave out --embedded (or the database URL)",
        )
    refuse_protected(settings, "reset --embedded")
    if not dry_run:
        embedded.wipe(settings.embedded.data_dir)
