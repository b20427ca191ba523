"""`lint --trace`: run migrations on a scratch database and watch what each statement does.

A scratch database is created next to the target (same server), holds the schema the
migrations start from, and is dropped afterwards whatever happens. Each statement of a
traced migration runs inside a transaction (a transactional migration's own; for a
no-transaction one, a transaction per statement, except statements that cannot run in
one); after it, the session's own relation locks (`pg_locks` of `pg_backend_pid()`) and
every user table's `relfilenode` are read. A table whose `relfilenode` changed was
rewritten.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from ..errors import ServerError
from .catalog import server_version
from .connect import Connection, connect
from .history import quote_ident

_USER = "n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema'"
_LOCKS = f"""
SELECT c.oid, l.mode
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
   AND c.relkind IN ('r', 'p', 'm', 'f') AND {_USER}
"""
_STORAGE = f"""
SELECT c.oid, format('%%s.%%s', n.nspname, c.relname), c.relfilenode
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm', 'f') AND {_USER}
"""
# pg_locks.mode -> LOCK TABLE's mode number (lint.locks.LockMode)
MODES = {
    "AccessShareLock": 1,
    "RowShareLock": 2,
    "RowExclusiveLock": 3,
    "ShareUpdateExclusiveLock": 4,
    "ShareLock": 5,
    "ShareRowExclusiveLock": 6,
    "ExclusiveLock": 7,
    "AccessExclusiveLock": 8,
}


@dataclass(frozen=True)
class Observed:
    """What one statement did. `taken`: relation -> strongest lock mode it newly took;
    `held`: relation -> strongest mode held after it (both None when the statement had to
    run outside a transaction, where locks cannot be read); `rewritten`: tables that got a
    new relfilenode; `created`: tables that did not exist before it (their locks block no
    one); `dropped`: tables it removed (their locks can no longer be read); `error`: the
    server's message when the statement failed."""

    taken: dict[str, int] | None = field(default_factory=dict)
    held: dict[str, int] | None = field(default_factory=dict)
    rewritten: tuple[str, ...] = ()
    error: str | None = None
    created: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class TracedFile:
    """A migration to trace: its statements' texts, in order, and its transaction mode;
    `outside` marks the statements that cannot run in a transaction."""

    statements: Sequence[str]
    transactional: bool
    outside: Sequence[bool]


def scratch_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new empty database on the server of `url`; dropped on exit, whatever happens.

    Its sessions start with the TimeZone and search_path a session on `url` starts with
    (whether they come from ALTER DATABASE, ALTER ROLE or the server's configuration):
    what a type change rewrites depends on them."""
    name = f"audifi_trace_{uuid.uuid4().hex[:12]}"
    with connect(url, "audifi-db trace") as admin:
        admin.execute(f"CREATE DATABASE {quote_ident(name)}")
        try:
            for setting in ("TimeZone", "search_path"):
                admin.execute(f"ALTER DATABASE {quote_ident(name)} SET {setting} FROM CURRENT")
            yield scratch_url(url, name)
        finally:
            force = " WITH (FORCE)" if server_version(admin) >= 130000 else ""
            admin.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}{force}")


def apply_setup(conn: Connection, files: Sequence[TracedFile]) -> None:
    """Bring the scratch database to the schema the traced migrations start from."""
    for file in files:
        _run_plain(conn, file)


def _run_plain(conn: Connection, file: TracedFile) -> None:
    if file.transactional:
        conn.execute("BEGIN")
    try:
        for text in file.statements:
            conn.execute(text)
    except ServerError:
        if file.transactional:
            conn.execute("ROLLBACK")
        raise
    if file.transactional:
        conn.execute("COMMIT")
    conn.reset_session()


def trace_file(conn: Connection, file: TracedFile) -> list[Observed]:
    """One Observed per statement; after a failure the rest are not run (fewer items)."""
    observed: list[Observed] = []
    in_transaction = file.transactional
    if in_transaction:
        conn.execute("BEGIN")
    for text, outside in zip(file.statements, file.outside, strict=True):
        alone = not file.transactional
        if alone and not outside:
            conn.execute("BEGIN")
        result = _traced(conn, text, watch_locks=file.transactional or not outside)
        observed.append(result)
        if result.error is not None:
            if file.transactional or not outside:
                conn.execute("ROLLBACK")
            break
        if alone and not outside:
            conn.execute("COMMIT")
    else:
        if in_transaction:
            conn.execute("COMMIT")
    conn.reset_session()
    return observed


def _traced(conn: Connection, text: str, *, watch_locks: bool) -> Observed:
    storage = _storage(conn)
    locks = _locks(conn) if watch_locks else None
    try:
        conn.execute(text)
    except ServerError as error:
        return Observed(None, None, (), str(error))
    after = _storage(conn)
    # Relations are named as they were when the statement began (a rename's locks are on
    # the old name, as the prediction reads the statement); new ones as they are now.
    named = {oid: name for oid, (name, _) in after.items()} | {
        oid: name for oid, (name, _) in storage.items()
    }
    rewritten = tuple(
        sorted(
            named[oid]
            for oid, (_, node) in after.items()
            if oid in storage and node not in (storage[oid][1], 0)
        )
    )
    created = tuple(sorted(name for oid, (name, _) in after.items() if oid not in storage))
    dropped = tuple(sorted(name for oid, (name, _) in storage.items() if oid not in after))
    if locks is None:
        return Observed(None, None, rewritten, created=created, dropped=dropped)
    held = _locks(conn)
    taken = {
        named[oid]: max(modes - locks.get(oid, set()))
        for oid, modes in held.items()
        if modes - locks.get(oid, set())
    }
    held_modes = {named[oid]: max(m) for oid, m in held.items()}
    return Observed(taken, held_modes, rewritten, created=created, dropped=dropped)


def _storage(conn: Connection) -> dict[int, tuple[str, int]]:
    return {oid: (name, node) for oid, name, node in conn.query(_STORAGE, {})}


def _locks(conn: Connection) -> dict[int, set[int]]:
    """Relation oid -> the lock modes this session holds on it."""
    found: dict[int, set[int]] = {}
    for oid, mode in conn.query(_LOCKS, {}):
        found.setdefault(oid, set()).add(MODES[mode])
    return found
