"""Helpers for the AudiFi schema tests: connections, sample rows, refusals."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.extensions
import pytest
from conftest import admin_execute
from psycopg2 import errorcodes

WAIT_SECONDS = 10
# The SQLSTATEs of the refusals the schema tests expect.
CHECK = errorcodes.CHECK_VIOLATION
UNIQUE = errorcodes.UNIQUE_VIOLATION
RESTRICT = errorcodes.RESTRICT_VIOLATION
FOREIGN_KEY = errorcodes.FOREIGN_KEY_VIOLATION
_counter = itertools.count(1)

Connection = psycopg2.extensions.connection


def session(url: str) -> Iterator[Connection]:
    """An autocommit connection for a test's `db` fixture (`yield from session(url)`): every
    refused statement leaves no trace."""
    conn = connect(url)
    yield conn
    conn.close()


def member_logins(url: str) -> Iterator[Callable[[str], Connection]]:
    """For a test's `login_as` fixture (`yield from member_logins(url)`): login_as(group) -> an
    autocommit connection of a new login role, member of group (audifi_app, audifi_readonly).
    Roles are cluster-wide: each login role has a unique name and is dropped afterwards; the
    groups are never altered."""
    made: list[tuple[str, Connection]] = []

    def login(group: str) -> Connection:
        name = f"audifi_test_login_{uuid.uuid4().hex[:10]}"
        admin_execute(url, f"CREATE ROLE {name} LOGIN IN ROLE {group}")
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        conn = connect(urlunsplit(parts._replace(netloc=f"{name}@{host}")))
        made.append((name, conn))
        return conn

    yield login
    for name, conn in made:
        conn.close()
        admin_execute(url, f"DROP ROLE {name}")


def connect(url: str, *, autocommit: bool = True, isolation: str = "READ COMMITTED") -> Connection:
    """Open a connection with bounded lock and statement waits."""
    conn = psycopg2.connect(url)
    conn.set_session(isolation_level=isolation, autocommit=autocommit)
    with conn.cursor() as cur:
        cur.execute(
            f"SET lock_timeout = '{WAIT_SECONDS}s'; SET statement_timeout = '{2 * WAIT_SECONDS}s'"
        )
    if not autocommit:
        conn.commit()
    return conn


def run(conn: Connection, sql: str, params: Any = None) -> None:
    """Execute one statement."""
    with conn.cursor() as cur:
        cur.execute(sql, params)


def rows(conn: Connection, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run a query and return all its rows."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def scalar(conn: Connection, sql: str, params: Any = None) -> Any:
    """Run a query and return the first column of its first row."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


@contextlib.contextmanager
def refused(pgcode: str, constraint: str | None = None) -> Iterator[None]:
    """Expect the database to refuse the block with SQLSTATE pgcode (and constraint)."""
    with pytest.raises(psycopg2.Error) as caught:
        yield
    assert caught.value.pgcode == pgcode, caught.value.pgerror
    if constraint is not None:
        assert caught.value.diag.constraint_name == constraint, caught.value.pgerror


def new_user(conn: Connection, role: str = "fan", email: str | None = None) -> str:
    """Insert a user with unique email and handle; return its id."""
    n = next(_counter)
    return scalar(
        conn,
        "INSERT INTO users (email, handle, role) VALUES (%s, %s, %s) RETURNING id",
        (email or f"user{n}@example.com", f"user_{n}", role),
    )


def new_key() -> str:
    """A fresh client idempotency key."""
    return f"req-{uuid.uuid4().hex}"


def new_master(
    conn: Connection, artist_id: str | None = None, total_shares: int = 1_000_000
) -> str:
    """Insert a master (with a new artist unless given); return its id."""
    artist_id = artist_id or new_user(conn, role="artist")
    return scalar(
        conn,
        "INSERT INTO masters (title, artist_id, total_shares) VALUES ('A Song', %s, %s) RETURNING id",
        (artist_id, total_shares),
    )


def new_ipo(
    conn: Connection,
    total_shares: int = 100,
    status: str = "open",
    master_id: str | None = None,
    window: tuple[str, str] = ("-1 hour", "30 days"),
) -> str:
    """An IPO at 2.5 a share (for a new master unless given) selling from now + window[0]
    to now + window[1], brought to `status` the way the application would (closed and
    cancelled IPOs are opened first); return its id."""
    ipo = scalar(
        conn,
        "INSERT INTO ipos (master_id, total_shares, share_price, start_date, end_date, status)"
        " VALUES (%s, %s, 2.5, now() + %s::interval, now() + %s::interval, %s) RETURNING id",
        (
            master_id or new_master(conn),
            total_shares,
            *window,
            "pending" if status == "pending" else "open",
        ),
    )
    if status in ("closed", "cancelled"):
        execute(conn, ("UPDATE ipos SET status = %s WHERE id = %s", (status, ipo)))
    return ipo


def buy_sql(
    ipo_id: str,
    owner_id: str,
    shares: int,
    *,
    price: Any = 2.5,
    key: str | None = None,
    kind: str = "purchase",
) -> tuple[str, tuple[Any, ...]]:
    """The statement buying (or, kind='refund' with negative shares, refunding) shares of an
    IPO, under a fresh idempotency key unless given."""
    return (
        "INSERT INTO ownership (ipo_id, owner_id, kind, shares, purchase_price, idempotency_key)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (ipo_id, owner_id, kind, shares, price, key or new_key()),
    )


def new_session(conn: Connection, host_id: str | None = None) -> str:
    """A V Studio session (hosted by a new artist unless given); return its id."""
    return scalar(
        conn,
        "INSERT INTO v_studio_sessions (host_id, title) VALUES (%s, 'Jam') RETURNING id",
        (host_id or new_user(conn, role="artist"),),
    )


def join(conn: Connection, session_id: str, user_id: str | None = None) -> str:
    """A user (new unless given) joins a session as a listener; return the user's id."""
    user_id = user_id or new_user(conn)
    run(
        conn,
        "INSERT INTO session_participants (session_id, user_id) VALUES (%s, %s)",
        (session_id, user_id),
    )
    return user_id


def open_vote(conn: Connection, session_id: str, options: tuple[str, ...] = ("A", "B")) -> str:
    """An open decision of a session, voting on options; return its id."""
    return scalar(
        conn,
        "INSERT INTO session_decisions (session_id, decision_type, data, status)"
        " VALUES (%s, 'bridge_vote', jsonb_build_object('options', %s::text[]), 'open') RETURNING id",
        (session_id, list(options)),
    )


def vote_sql(decision_id: str, user_id: str, choice: str = "A") -> tuple[str, tuple[Any, ...]]:
    """The statement casting a vote."""
    return (
        "INSERT INTO session_decision_votes (decision_id, user_id, choice) VALUES (%s, %s, %s)",
        (decision_id, user_id, choice),
    )


def new_coin(
    conn: Connection, symbol: str | None = None, decimals: int = 18, max_supply: Any = None
) -> str:
    """Insert a coin of a new artist; return its id."""
    return scalar(
        conn,
        "INSERT INTO coins (artist_id, symbol, name, decimals, max_supply)"
        " VALUES (%s, %s, 'Test Coin', %s, %s) RETURNING id",
        (new_user(conn, role="artist"), symbol or f"C{next(_counter)}", decimals, max_supply),
    )


def ledger_sql(
    coin_id: str,
    kind: str,
    amount: Any,
    *,
    from_user: str | None = None,
    to_user: str | None = None,
    pool: str | None = None,
    key: str | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """The statement recording one ledger row, under a fresh idempotency key unless given."""
    return (
        "INSERT INTO coin_transactions (coin_id, kind, from_user_id, to_user_id, pool_id, amount,"
        " idempotency_key) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (coin_id, kind, from_user, to_user, pool, amount, key or new_key()),
    )


def swap_sql(
    pool: str, trader: str, pay: tuple[str, Any], receive: tuple[str, Any], key: str | None = None
) -> tuple[str, tuple[Any, ...]]:
    """One statement recording a swap's two legs: trader pays (coin, amount) into the pool and
    receives (coin, amount) from it, under one swap id and one idempotency key."""
    swap_id, key = str(uuid.uuid4()), key or new_key()
    return (
        "INSERT INTO coin_transactions (coin_id, kind, from_user_id, to_user_id, pool_id, amount,"
        " idempotency_key, swap_id) VALUES (%s, 'swap', %s, NULL, %s, %s, %s, %s),"
        " (%s, 'swap', NULL, %s, %s, %s, %s, %s)",
        (
            pay[0],
            trader,
            pool,
            pay[1],
            key,
            swap_id,
            receive[0],
            trader,
            pool,
            receive[1],
            key,
            swap_id,
        ),
    )


@dataclass(frozen=True)
class Pool:
    """A liquidity pool, its two coins (coin_a < coin_b) and the user who funded it."""

    id: str
    coin_a: str
    coin_b: str
    provider: str


def new_pool(conn: Connection, funding: Any = 1000) -> Pool:
    """A pool of two new coins, each side funded with `funding` by a new provider."""
    coin_a, coin_b = sorted((new_coin(conn), new_coin(conn)))
    pool_id = scalar(
        conn,
        "INSERT INTO liquidity_pools (coin_a_id, coin_b_id) VALUES (%s, %s) RETURNING id",
        (coin_a, coin_b),
    )
    provider = new_user(conn)
    for coin in (coin_a, coin_b):
        execute(conn, ledger_sql(coin, "mint", funding, to_user=provider))
        execute(conn, ledger_sql(coin, "add_liquidity", funding, from_user=provider, pool=pool_id))
    return Pool(pool_id, coin_a, coin_b, provider)


def execute(conn: Connection, statement: tuple[str, tuple[Any, ...]]) -> None:
    """Execute a (sql, params) pair."""
    with conn.cursor() as cur:
        cur.execute(*statement)


def balance(conn: Connection, coin_id: str, user_id: str) -> Decimal:
    """A holder's balance, 0 when no row exists."""
    return scalar(
        conn,
        "SELECT coalesce((SELECT balance FROM coin_balances WHERE coin_id = %s AND user_id = %s), 0)",
        (coin_id, user_id),
    )


def supply_is_held(db: Connection) -> bool:
    """Every coin's total_supply equals its balances plus its pool reserves."""
    return scalar(
        db,
        """SELECT bool_and(c.total_supply =
                  (SELECT coalesce(sum(balance), 0) FROM coin_balances b WHERE b.coin_id = c.id)
                  + (SELECT coalesce(sum(CASE WHEN p.coin_a_id = c.id THEN reserve_a ELSE reserve_b END), 0)
                       FROM liquidity_pools p WHERE c.id IN (p.coin_a_id, p.coin_b_id)))
             FROM coins c""",
    )


def wait_until_lock_wait(observer: Connection, pid: int) -> None:
    """Poll until backend pid waits on a lock; fail after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if scalar(
            observer, "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", (pid,)
        ):
            return
        time.sleep(0.01)
    pytest.fail(f"backend {pid} never waited on a lock")


def interleave(
    url: str,
    first: Callable[[Connection], None],
    second: Callable[[Connection], None],
    isolation: str = "READ COMMITTED",
) -> psycopg2.Error | None:
    """Run first in an open transaction, start second until it blocks, commit first.

    Returns the error of the second transaction, or None when it committed.
    The first must commit; its failure fails the test.
    """
    observer = connect(url)
    conn_a = connect(url, autocommit=False, isolation=isolation)
    conn_b = connect(url, autocommit=False, isolation=isolation)
    outcome: dict[str, psycopg2.Error] = {}

    def run_second() -> None:
        try:
            second(conn_b)
            conn_b.commit()
        except psycopg2.Error as error:
            conn_b.rollback()
            outcome["error"] = error

    try:
        first(conn_a)
        thread = threading.Thread(target=run_second)
        thread.start()
        wait_until_lock_wait(observer, conn_b.get_backend_pid())
        conn_a.commit()
        thread.join(2 * WAIT_SECONDS)
        assert not thread.is_alive(), "second transaction never finished"
        return outcome.get("error")
    finally:
        for conn in (conn_a, conn_b, observer):
            conn.close()


def race(url: str, *work: Callable[[Connection], None]) -> list[psycopg2.Error | None]:
    """Start one transaction per callable at the same instant; return each outcome."""
    barrier = threading.Barrier(len(work))
    outcomes: list[psycopg2.Error | None] = [None] * len(work)
    conns = [connect(url, autocommit=False) for _ in work]

    def run(i: int) -> None:
        try:
            barrier.wait(WAIT_SECONDS)
            work[i](conns[i])
            conns[i].commit()
        except psycopg2.Error as error:
            conns[i].rollback()
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(2 * WAIT_SECONDS)
        assert not any(thread.is_alive() for thread in threads), "a transaction never finished"
        return outcomes
    finally:
        for conn in conns:
            conn.close()


def single_error(outcomes: list[psycopg2.Error | None]) -> psycopg2.Error:
    """Assert exactly one outcome committed; return the other's error."""
    errors = [outcome for outcome in outcomes if outcome is not None]
    assert len(errors) == 1, f"expected exactly one commit, got errors {errors}"
    return errors[0]
