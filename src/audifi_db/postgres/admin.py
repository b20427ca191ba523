"""The database itself, from the server's maintenance database: create, drop, wait for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..config import database_name
from ..errors import ConfigError, ConnectError
from .connect import connect
from .history import quote_ident

MAINTENANCE_DATABASE = "postgres"


def maintenance_url(url: str) -> str:
    """The same server and user, connected to the `postgres` database."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "dbname"]
    return urlunsplit(parts._replace(path=f"/{MAINTENANCE_DATABASE}", query=urlencode(query)))


def _name(url: str) -> str:
    name = database_name(url)
    if not name:
        raise ConfigError("the database URL names no database", "end it with /DATABASE_NAME")
    return name


def create_database(url: str) -> bool:
    """Create the database `url` names; False when it exists already."""
    name = _name(url)
    with connect(maintenance_url(url), "audifi-db (db create)") as conn:
        if conn.query_one("SELECT 1 FROM pg_database WHERE datname = %s", (name,)):
            return False
        conn.execute(f"CREATE DATABASE {quote_ident(name)}")
    return True


def drop_database(url: str) -> bool:
    """Drop the database `url` names; False when there is none."""
    name = _name(url)
    if name == MAINTENANCE_DATABASE:
        raise ConfigError(
            f"refusing to drop the server's maintenance database {name!r}",
            "point the URL at the application's database",
        )
    with connect(maintenance_url(url), "audifi-db (db drop)") as conn:
        if not conn.query_one("SELECT 1 FROM pg_database WHERE datname = %s", (name,)):
            return False
        conn.execute(f"DROP DATABASE {quote_ident(name)}")
    return True


def wait_until_ready(
    url: str, seconds: float, report: Callable[[str], None], every: float = 5.0
) -> None:
    """Return once `url` accepts a connection; say why not every `every` seconds; after
    `seconds`, raise the last ConnectError."""
    began = time.monotonic()
    told = -every
    while True:
        try:
            connect(url, "audifi-db (wait)").close()
            return
        except ConnectError as error:
            waited = time.monotonic() - began
            if waited >= seconds:
                raise ConnectError(f"{error.message} (waited {seconds:g} s)", error.hint) from None
            if waited - told >= every:
                told = waited
                report(f"waiting for the database ({waited:.0f} of {seconds:g} s): {error.message}")
            time.sleep(min(1.0, seconds - waited))
