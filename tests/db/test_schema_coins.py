"""The coin ledger, round two: exact amounts, one movement per request, swaps in one piece,
liquidity positions, frozen definitions, bulk statements applied once, no deadlocks.

Each attack got through against the first five migrations: a traded pool repointed to another
coin, a coin's decimals changed after issue, 5e-19 silently stored as 1e-18, a replayed transfer
moving money twice, a lone swap leg, two opposite multi-coin transfers deadlocking.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal

import psycopg2
import pytest
from schema_helpers import (
    CHECK,
    RESTRICT,
    UNIQUE,
    Connection,
    Pool,
    balance,
    connect,
    execute,
    ledger_sql,
    new_coin,
    new_key,
    new_pool,
    new_user,
    race,
    refused,
    rows,
    run,
    scalar,
    session,
    single_error,
    supply_is_held,
    swap_sql,
)


@pytest.fixture
def db(deployed_url: str) -> Iterator[Connection]:
    yield from session(deployed_url)


@pytest.fixture
def pool(db: Connection) -> Pool:
    return new_pool(db)


# --- definitions that never change ---------------------------------------------


def test_a_traded_pool_keeps_its_coins(db: Connection, pool: Pool) -> None:
    other = new_coin(db)
    column = "coin_b_id" if other > pool.coin_a else "coin_a_id"
    with refused(RESTRICT, "liquidity_pools_coins_fixed"):
        run(db, f"UPDATE liquidity_pools SET {column} = %s WHERE id = %s", (other, pool.id))
    assert supply_is_held(db)


def test_a_coins_decimals_never_change(db: Connection) -> None:
    coin = new_coin(db, decimals=18)
    execute(db, ledger_sql(coin, "mint", Decimal("0.000000000000000001"), to_user=new_user(db)))
    with refused(RESTRICT, "coins_decimals_fixed"):
        run(db, "UPDATE coins SET decimals = 2 WHERE id = %s", (coin,))


# --- exact amounts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("decimals", "amount"), [(18, "0.0000000000000000005"), (2, "1.001"), (0, "0.5")]
)
def test_an_amount_beyond_the_coins_decimals_is_refused_not_rounded(
    db: Connection, decimals: int, amount: str
) -> None:
    coin = new_coin(db, decimals=decimals)
    with refused(CHECK, "coin_transactions_amount_precision"):
        execute(db, ledger_sql(coin, "mint", Decimal(amount), to_user=new_user(db)))
    assert scalar(db, "SELECT count(*) FROM coin_transactions") == 0


def test_an_amount_is_stored_exactly_as_sent(db: Connection) -> None:
    coin, holder = new_coin(db, decimals=18), new_user(db)
    execute(db, ledger_sql(coin, "mint", Decimal("0.000000000000000001"), to_user=holder))
    execute(db, ledger_sql(coin, "mint", Decimal("1.5"), to_user=holder))
    assert [a for (a,) in rows(db, "SELECT amount FROM coin_transactions ORDER BY id")] == [
        Decimal("0.000000000000000001"),
        Decimal("1.5"),
    ]
    assert balance(db, coin, holder) == Decimal("1.500000000000000001")


# --- one movement per request --------------------------------------------------


def test_a_replayed_transfer_moves_money_once(db: Connection) -> None:
    coin, alice, bob, key = new_coin(db), new_user(db), new_user(db), new_key()
    execute(db, ledger_sql(coin, "mint", 100, to_user=alice))
    execute(db, ledger_sql(coin, "transfer", 10, from_user=alice, to_user=bob, key=key))
    with refused(UNIQUE, "coin_transactions_sender_idempotency_key"):
        execute(db, ledger_sql(coin, "transfer", 10, from_user=alice, to_user=bob, key=key))
    execute(
        db, ledger_sql(coin, "transfer", 1, from_user=bob, to_user=alice, key=key)
    )  # per sender
    with refused(CHECK, "coin_transactions_idempotency_key_required"):
        run(
            db,
            "INSERT INTO coin_transactions (coin_id, kind, from_user_id, to_user_id, amount)"
            " VALUES (%s, 'transfer', %s, %s, 1)",
            (coin, alice, bob),
        )
    assert (balance(db, coin, alice), balance(db, coin, bob)) == (91, 9)


def test_two_simultaneous_replays_of_one_transfer_move_money_once(
    db: Connection, deployed_url: str
) -> None:
    coin, alice, bob, key = new_coin(db), new_user(db), new_user(db), new_key()
    execute(db, ledger_sql(coin, "mint", 100, to_user=alice))
    transfer = ledger_sql(coin, "transfer", 30, from_user=alice, to_user=bob, key=key)

    outcomes = race(deployed_url, *[lambda c: execute(c, transfer)] * 2)

    assert single_error(outcomes).pgcode == UNIQUE
    assert (balance(db, coin, alice), balance(db, coin, bob)) == (70, 30)


# --- a swap is one piece -----------------------------------------------------------


def test_a_swap_is_two_legs_inserted_together(db: Connection, pool: Pool) -> None:
    trader = new_user(db)
    execute(db, ledger_sql(pool.coin_a, "mint", 10, to_user=trader))
    pay_in = (
        "INSERT INTO coin_transactions (coin_id, kind, from_user_id, pool_id, amount,"
        " idempotency_key, swap_id) SELECT coin, 'swap', %s, %s, 5, coin::text, %s FROM unnest(%s::uuid[]) coin"
    )
    for coins in ([pool.coin_a], [pool.coin_a, pool.coin_b]):  # a lone leg; two pay-ins
        with refused(CHECK, "coin_transactions_swap_legs_together"):
            run(db, pay_in, (trader, pool.id, str(uuid.uuid4()), coins))
    key = new_key()
    execute(db, swap_sql(pool.id, trader, (pool.coin_a, 5), (pool.coin_b, 4), key=key))
    with refused(UNIQUE, "coin_transactions_sender_idempotency_key"):  # a replayed swap
        execute(db, swap_sql(pool.id, trader, (pool.coin_a, 5), (pool.coin_b, 4), key=key))
    swap_id = scalar(db, "SELECT swap_id FROM coin_transactions WHERE swap_id IS NOT NULL LIMIT 1")
    with refused(UNIQUE, "coin_transactions_swap_leg_key"):  # a third leg, later
        run(
            db,
            "INSERT INTO coin_transactions (coin_id, kind, to_user_id, pool_id, amount,"
            " idempotency_key, swap_id) VALUES (%s, 'swap', %s, %s, 4, %s, %s),"
            " (%s, 'swap', %s, %s, 1, %s, %s)",
            (
                pool.coin_b,
                trader,
                pool.id,
                key,
                swap_id,
                pool.coin_a,
                trader,
                pool.id,
                key,
                swap_id,
            ),
        )
    assert (balance(db, pool.coin_a, trader), balance(db, pool.coin_b, trader)) == (5, 4)
    assert supply_is_held(db)


# --- liquidity positions -----------------------------------------------------------


def test_positions_record_who_provided_what_and_only_providers_withdraw(
    db: Connection, pool: Pool
) -> None:
    stranger = new_user(db)
    execute(
        db, ledger_sql(pool.coin_b, "remove_liquidity", 10, to_user=pool.provider, pool=pool.id)
    )
    with refused(CHECK, "coin_transactions_withdrawal_by_provider"):
        execute(db, ledger_sql(pool.coin_a, "remove_liquidity", 1, to_user=stranger, pool=pool.id))
    assert (
        scalar(
            db,
            "SELECT (provided_a, provided_b, withdrawn_a, withdrawn_b)::text FROM liquidity_positions"
            " WHERE pool_id = %s AND user_id = %s",
            (pool.id, pool.provider),
        )
        == "(1000.000000000000000000,1000.000000000000000000,0.000000000000000000,10.000000000000000000)"
    )
    assert supply_is_held(db)


# --- bulk statements and lock order ----------------------------------------------


def test_a_bulk_mint_applies_once_per_balance_and_fails_as_a_whole(db: Connection) -> None:
    coin, holders = new_coin(db, max_supply=10_000), [new_user(db) for _ in range(3)]
    airdrop = """INSERT INTO coin_transactions (coin_id, kind, to_user_id, amount, idempotency_key)
                 SELECT %s, 'mint', holder, 1, 'airdrop-' || n
                   FROM unnest(%s::uuid[]) AS holder, generate_series(1, %s) AS n"""
    run(db, airdrop, (coin, holders, 2000))
    assert [balance(db, coin, h) for h in holders] == [2000] * 3
    assert scalar(db, "SELECT total_supply FROM coins WHERE id = %s", (coin,)) == 6000
    with refused(CHECK, "coins_total_supply_within_bounds"):
        run(db, airdrop.replace("'airdrop-'", "'again-'"), (coin, holders, 1_500))
    assert scalar(db, "SELECT count(*) FROM coin_transactions") == 6000


SLOW_ROWS = """
CREATE FUNCTION test_slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$;
CREATE TRIGGER coin_transactions_zz_slow AFTER INSERT ON coin_transactions
    FOR EACH ROW EXECUTE FUNCTION test_slow_row();
"""


def test_opposite_multi_coin_transfers_queue_instead_of_deadlocking(
    db: Connection, deployed_url: str
) -> None:
    """Two statements each move two coins between the same two users, in opposite orders.
    A test-only trigger sleeps after each row, widening the window in which row-by-row
    application locked the first coin's balances and waited for the second's, held by the
    other statement: against the first five migrations one of them died with 40P01."""
    coins, alice, bob = sorted([new_coin(db), new_coin(db)]), new_user(db), new_user(db)
    for coin in coins:
        for user in (alice, bob):
            execute(db, ledger_sql(coin, "mint", 100, to_user=user))
    run(db, SLOW_ROWS)

    def both(first: str, second: str):
        sql = (
            "INSERT INTO coin_transactions (coin_id, kind, from_user_id, to_user_id, amount,"
            " idempotency_key) VALUES (%s, 'transfer', %s, %s, 1, %s), (%s, 'transfer', %s, %s, 1, %s)"
        )
        params = (first, alice, bob, new_key(), second, bob, alice, new_key())
        return lambda c: execute(c, (sql, params))

    outcomes = race(deployed_url, both(*coins), both(*reversed(coins)))

    assert outcomes == [None, None]
    assert [balance(db, c, u) for c in coins for u in (alice, bob)] == [100] * 4


def test_many_concurrent_transfers_keep_every_invariant(db: Connection, deployed_url: str) -> None:
    """8 sessions, 40 random transfers each among 5 users of 2 coins: no deadlock, no
    negative balance, no coin created or lost."""
    coins, users = [new_coin(db), new_coin(db)], [new_user(db) for _ in range(5)]
    for coin in coins:
        for user in users:
            execute(db, ledger_sql(coin, "mint", 50, to_user=user))
    failures: list[psycopg2.Error] = []

    def client(seed: int) -> None:
        rng, conn = random.Random(seed), connect(deployed_url)
        try:
            for _ in range(40):
                payer, payee = rng.sample(users, 2)
                try:
                    execute(
                        conn,
                        ledger_sql(
                            rng.choice(coins),
                            "transfer",
                            rng.randint(1, 30),
                            from_user=payer,
                            to_user=payee,
                        ),
                    )
                except psycopg2.Error as error:
                    if error.pgcode != CHECK:  # an overdraft is a fair refusal
                        failures.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert failures == []
    assert scalar(db, "SELECT min(balance) >= 0 FROM coin_balances")
    assert [
        scalar(db, "SELECT sum(balance) FROM coin_balances WHERE coin_id = %s", (c,)) for c in coins
    ] == [250, 250]
    assert supply_is_held(db)
