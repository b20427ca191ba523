"""A throwaway database on a server we can reach: created, handed out, dropped whatever happens.

`check` applies every migration from empty to one. Its name is unique (audifi_check_ and
random hex), so runs in parallel on one server never meet. Creating and dropping each use a
short connection of their own: no session is held on the configured database during the
run, and the drop still happens when that database went away meanwhile (it then goes
through the server's `postgres` database).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ..config import redact
from ..errors import ConnectError, ServerError
from .catalog import server_version
from .connect import connect
from .history import quote_ident

PREFIX = "audifi_check_"
FORCE_DROP_VERSION = 130000  # DROP DATABASE … WITH (FORCE) arrived in PostgreSQL 13
APPLICATION = "audifi-db check"


@dataclass(frozen=True)
class Scratch:
    name: str
    url: str
    server_version: int


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server (query options kept)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


@contextmanager
def scratch_database(url: str) -> Iterator[Scratch]:
    """A new empty database on `url`'s server, dropped when the block ends."""
    name = f"{PREFIX}{secrets.token_hex(6)}"
    with connect(url, APPLICATION) as admin:
        version = server_version(admin)
        try:
            admin.execute(f"CREATE DATABASE {quote_ident(name)}")
        except ServerError as error:
            raise ConnectError(
                f"cannot create a throwaway database on {redact(url)}: {error}",
                "`check` needs a role with CREATEDB; pass --database-url of a server where it "
                "has one (a local or CI server, never production)",
            ) from None
    try:
        yield Scratch(name, with_database(url, name), version)
    finally:
        _drop(url, name, version)


def _drop(url: str, name: str, version: int) -> None:
    force = " WITH (FORCE)" if version >= FORCE_DROP_VERSION else ""
    for candidate in (url, with_database(url, "postgres")):
        try:
            with connect(candidate, APPLICATION) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}{force}")
            return
        except ConnectError:
            continue
    raise ConnectError(
        f"could not drop the throwaway database {name} on {redact(url)}",
        f"drop it by hand: DROP DATABASE {name}",
    )
