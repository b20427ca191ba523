"""Races the schema must win: real concurrent sessions on a deployed database.

Each scenario holds the first transaction open, starts the second in a thread,
waits (bounded) until the database makes it wait on a lock, then commits the
first: exactly one may commit. The race variants start both at one instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from psycopg2 import errorcodes
from schema_helpers import (
    Connection,
    balance,
    buy_sql,
    execute,
    interleave,
    ledger_sql,
    new_coin,
    new_ipo,
    new_master,
    new_user,
    race,
    scalar,
    session,
    single_error,
)

ISOLATION_LEVELS = ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"]
# READ COMMITTED re-reads the locked row and fails the invariant's check;
# the stricter levels refuse to act on a row changed since their snapshot.
EXPECTED_REFUSAL = {
    "READ COMMITTED": errorcodes.CHECK_VIOLATION,
    "REPEATABLE READ": errorcodes.SERIALIZATION_FAILURE,
    "SERIALIZABLE": errorcodes.SERIALIZATION_FAILURE,
}


@pytest.fixture
def db(deployed_url: str) -> Iterator[Connection]:
    yield from session(deployed_url)


@pytest.mark.parametrize("isolation", ISOLATION_LEVELS)
def test_two_buyers_of_the_last_shares_exactly_one_commits(
    db: Connection, deployed_url: str, isolation: str
) -> None:
    ipo = new_ipo(db, total_shares=10)
    execute(db, buy_sql(ipo, new_user(db), 8))
    first, second = new_user(db), new_user(db)

    error = interleave(
        deployed_url,
        lambda c: execute(c, buy_sql(ipo, first, 2)),
        lambda c: execute(c, buy_sql(ipo, second, 2)),
        isolation,
    )

    assert error is not None and error.pgcode == EXPECTED_REFUSAL[isolation], error
    assert scalar(db, "SELECT sum(shares) FROM ownership WHERE ipo_id = %s", (ipo,)) == 10
    assert scalar(db, "SELECT count(*) FROM ownership WHERE owner_id = %s", (second,)) == 0


def test_simultaneous_buyers_of_the_last_shares_exactly_one_commits(
    db: Connection, deployed_url: str
) -> None:
    ipo = new_ipo(db, total_shares=10)
    execute(db, buy_sql(ipo, new_user(db), 7))
    buyers = [new_user(db), new_user(db)]

    outcomes = race(deployed_url, *(lambda c, b=b: execute(c, buy_sql(ipo, b, 3)) for b in buyers))

    assert single_error(outcomes).pgcode == errorcodes.CHECK_VIOLATION
    assert scalar(db, "SELECT shares_sold FROM ipos WHERE id = %s", (ipo,)) == 10


@pytest.mark.parametrize("isolation", ISOLATION_LEVELS)
def test_two_transfers_draining_one_balance_exactly_one_commits(
    db: Connection, deployed_url: str, isolation: str
) -> None:
    coin, payer, first, second = new_coin(db), new_user(db), new_user(db), new_user(db)
    execute(db, ledger_sql(coin, "mint", 100, to_user=payer))

    error = interleave(
        deployed_url,
        lambda c: execute(c, ledger_sql(coin, "transfer", 100, from_user=payer, to_user=first)),
        lambda c: execute(c, ledger_sql(coin, "transfer", 100, from_user=payer, to_user=second)),
        isolation,
    )

    assert error is not None and error.pgcode == EXPECTED_REFUSAL[isolation], error
    assert [balance(db, coin, user) for user in (payer, first, second)] == [0, 100, 0]
    assert scalar(db, "SELECT count(*) FROM coin_transactions WHERE kind = 'transfer'") == 1


def test_simultaneous_transfers_draining_one_balance_exactly_one_commits(
    db: Connection, deployed_url: str
) -> None:
    coin, payer = new_coin(db), new_user(db)
    execute(db, ledger_sql(coin, "mint", Decimal("50.5"), to_user=payer))
    payees = [new_user(db), new_user(db)]

    outcomes = race(
        deployed_url,
        *(
            lambda c, p=p: execute(
                c, ledger_sql(coin, "transfer", Decimal("30"), from_user=payer, to_user=p)
            )
            for p in payees
        ),
    )

    assert single_error(outcomes).pgcode == errorcodes.CHECK_VIOLATION
    assert balance(db, coin, payer) == Decimal("20.5")
    assert scalar(
        db, "SELECT sum(balance) FROM coin_balances WHERE coin_id = %s", (coin,)
    ) == Decimal("50.5")


def test_two_transfers_in_opposite_directions_both_commit(
    db: Connection, deployed_url: str
) -> None:
    coin, alice, bob = new_coin(db), new_user(db), new_user(db)
    for user in (alice, bob):
        execute(db, ledger_sql(coin, "mint", 10, to_user=user))

    outcomes = race(
        deployed_url,
        lambda c: execute(c, ledger_sql(coin, "transfer", 4, from_user=alice, to_user=bob)),
        lambda c: execute(c, ledger_sql(coin, "transfer", 1, from_user=bob, to_user=alice)),
    )

    assert outcomes == [None, None]  # balances are locked in user-id order: no deadlock
    assert (balance(db, coin, alice), balance(db, coin, bob)) == (7, 13)


def test_two_concurrent_live_subscriptions_exactly_one_commits(
    db: Connection, deployed_url: str
) -> None:
    user = new_user(db)

    def subscribe(reference: str):
        return lambda c: execute(
            c,
            (
                "INSERT INTO subscriptions (user_id, plan, provider, provider_reference, current_period_start,"
                " current_period_end) VALUES (%s, 'fan_plus', 'stripe', %s, now(), now() + interval '1 month')",
                (user, reference),
            ),
        )

    error = interleave(deployed_url, subscribe("sub_a"), subscribe("sub_b"))

    assert error is not None and error.pgcode == errorcodes.UNIQUE_VIOLATION
    assert scalar(db, "SELECT count(*) FROM subscriptions WHERE user_id = %s", (user,)) == 1


def test_two_concurrent_openings_of_one_master_exactly_one_commits(
    db: Connection, deployed_url: str
) -> None:
    master = new_master(db)
    error = interleave(
        deployed_url, lambda c: new_ipo(c, master_id=master), lambda c: new_ipo(c, master_id=master)
    )

    assert error is not None and error.pgcode == errorcodes.UNIQUE_VIOLATION
    assert (
        scalar(db, "SELECT count(*) FROM ipos WHERE master_id = %s AND status = 'open'", (master,))
        == 1
    )
