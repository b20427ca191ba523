"""What every operation shares: the database URL, the fan-out of events, policy refusals."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import RefusedError

if TYPE_CHECKING:  # `status` and `validate` emit nothing: they never import events
    from .. import events


def database_url(settings: Settings) -> str:
    """The URL to use: the configured one, or the embedded server's (local only)."""
    if settings.database_url is not None:
        return settings.database_url
    from ..postgres import embedded

    return embedded.start(settings.embedded.data_dir, settings.embedded.database)


@contextmanager
def listening(
    settings: Settings,
    listeners: Sequence[events.Listener],
    report: Callable[[str], None] | None = None,
) -> Iterator[events.Emit]:
    """An emit function delivering to every listener, and to the observers the settings ask
    for (observe.configured_listeners: metrics, alerts, the lock watcher), through one
    Fanout, closed (bounded) when the block ends, so every listener has seen the last event
    when the operation returns."""
    from ..fanout import Fanout
    from ..observe import configured_listeners

    observers = configured_listeners(settings, lambda: database_url(settings), report)
    with Fanout([*listeners, *observers], report=report) as fanout:
        yield fanout.emit


@contextmanager
def refusals(emit: events.Emit, target: events.Target, guard: str) -> Iterator[None]:
    """A refusal (PlanError, RefusedError) raised in the block is an event too."""
    from .. import events
    from ..errors import PlanError

    try:
        yield
    except (PlanError, RefusedError) as error:
        emit(events.Refused.of(error, target, guard))
        raise


def refuse_protected(settings: Settings, command: str, emit: events.Emit | None = None) -> None:
    """RefusedError for commands meant for local databases only, as an event too."""
    if not settings.protected:
        return
    error = RefusedError(
        f"`{command}` is refused for the {settings.environment} environment",
        "it is for local databases only",
    )
    if emit is not None:
        from .. import events
        from ..runner import target_of

        emit(events.Refused.of(error, target_of(settings), "protected-environment"))
    raise error
