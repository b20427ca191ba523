"""Purchases follow their IPO, IPOs follow their life cycle, masters cap what all their IPOs sell.

Each attack got through against the first five migrations: a purchase at any price, outside
the sale window, an IPO going back from closed to open, a master selling more shares over two
IPOs than it has, a replayed purchase request buying twice.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg2 import errorcodes
from schema_helpers import (
    CHECK,
    RESTRICT,
    Connection,
    buy_sql,
    execute,
    interleave,
    new_ipo,
    new_key,
    new_master,
    new_user,
    race,
    refused,
    run,
    scalar,
    session,
    single_error,
)


@pytest.fixture
def db(deployed_url: str) -> Iterator[Connection]:
    yield from session(deployed_url)


def shares_sold(db: Connection, ipo: str) -> int:
    return scalar(db, "SELECT shares_sold FROM ipos WHERE id = %s", (ipo,))


def set_status(db: Connection, ipo: str, status: str) -> None:
    run(db, "UPDATE ipos SET status = %s WHERE id = %s", (status, ipo))


# --- a purchase matches its IPO ----------------------------------------------


def test_a_purchase_pays_the_ipos_price(db: Connection) -> None:
    ipo = new_ipo(db)
    with refused(CHECK, "ownership_price_matches_ipo"):
        execute(db, buy_sql(ipo, new_user(db), 10, price="0.01"))
    assert shares_sold(db, ipo) == 0


@pytest.mark.parametrize(
    "window", [("1 day", "2 days"), ("-2 days", "-1 day")], ids=["not yet open", "already over"]
)
def test_a_purchase_happens_inside_the_sale_window(db: Connection, window: tuple[str, str]) -> None:
    ipo = new_ipo(db, window=window)
    with refused(CHECK, "ownership_within_sale_window"):
        execute(db, buy_sql(ipo, new_user(db), 1))


def test_a_purchase_is_recorded_at_the_servers_time(db: Connection) -> None:
    ipo = new_ipo(db)
    with refused(CHECK, "ownership_purchased_at_is_now"):
        run(
            db,
            "INSERT INTO ownership (ipo_id, owner_id, shares, purchase_price, idempotency_key,"
            " purchased_at) VALUES (%s, %s, 1, 2.5, %s, now() - interval '1 day')",
            (ipo, new_user(db), new_key()),
        )


def test_shares_are_bought_only_while_the_ipo_is_open(db: Connection) -> None:
    for status in ("pending", "closed", "cancelled"):
        with refused(CHECK, "ownership_ipo_open"):
            execute(db, buy_sql(new_ipo(db, status=status), new_user(db), 1))


# --- an IPO's life: pending (draft) -> open -> closed | cancelled --------------


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("closed", "open"),
        ("closed", "cancelled"),
        ("cancelled", "open"),
        ("cancelled", "pending"),
        ("open", "pending"),
        ("pending", "closed"),
    ],
)
def test_an_ipo_only_moves_forward(db: Connection, start: str, target: str) -> None:
    ipo = new_ipo(db, status=start)
    with refused(CHECK, "ipos_status_transition"):
        set_status(db, ipo, target)
    assert scalar(db, "SELECT status FROM ipos WHERE id = %s", (ipo,)) == start


def test_the_forward_moves_are_allowed_and_an_ipo_starts_as_draft_or_open(db: Connection) -> None:
    draft, offering = new_ipo(db, status="pending"), new_ipo(db, status="pending")
    set_status(db, draft, "cancelled")
    set_status(db, offering, "open")
    set_status(db, offering, "closed")
    with refused(CHECK, "ipos_status_transition"):
        run(
            db,
            "INSERT INTO ipos (master_id, total_shares, share_price, start_date, status)"
            " VALUES (%s, 10, 1, now(), 'closed')",
            (new_master(db),),
        )


def test_an_ipos_terms_hold_once_it_has_buyers(db: Connection) -> None:
    ipo = new_ipo(db)
    execute(db, buy_sql(ipo, new_user(db), 1))
    with refused(RESTRICT, "ipos_price_fixed"):
        run(db, "UPDATE ipos SET share_price = 0.5 WHERE id = %s", (ipo,))
    with refused(RESTRICT, "ipos_master_fixed"):
        run(db, "UPDATE ipos SET master_id = %s WHERE id = %s", (new_master(db), ipo))
    set_status(db, ipo, "closed")
    with refused(RESTRICT, "ipos_final"):
        run(db, "UPDATE ipos SET end_date = end_date + interval '1 day' WHERE id = %s", (ipo,))


# --- a master's shares, over all its IPOs --------------------------------------


def test_a_master_never_sells_more_than_its_total_over_all_its_ipos(db: Connection) -> None:
    master = new_master(db, total_shares=150)
    first = new_ipo(db, master_id=master, total_shares=100)
    execute(db, buy_sql(first, new_user(db), 100))
    set_status(db, first, "closed")
    second = new_ipo(db, master_id=master, total_shares=100)
    with refused(CHECK, "masters_shares_sold_within_total"):
        execute(db, buy_sql(second, new_user(db), 60))
    execute(db, buy_sql(second, new_user(db), 50))
    with refused(CHECK, "masters_shares_sold_within_total"):
        run(db, "UPDATE masters SET total_shares = 149 WHERE id = %s", (master,))
    assert scalar(db, "SELECT sum(shares_sold) FROM ipos WHERE master_id = %s", (master,)) == 150


@pytest.mark.parametrize("purchase_first", [True, False], ids=["purchase first", "shrink first"])
def test_a_purchase_and_a_smaller_master_total_cannot_both_commit(
    db: Connection, deployed_url: str, purchase_first: bool
) -> None:
    master = new_master(db, total_shares=100)
    ipo = new_ipo(db, master_id=master, total_shares=100)
    execute(db, buy_sql(ipo, new_user(db), 90))
    buyer = new_user(db)

    def purchase(c: Connection) -> None:
        execute(c, buy_sql(ipo, buyer, 10))

    def shrink(c: Connection) -> None:
        run(c, "UPDATE masters SET total_shares = 95 WHERE id = %s", (master,))

    error = interleave(
        deployed_url, *((purchase, shrink) if purchase_first else (shrink, purchase))
    )

    assert error is not None and error.pgcode == CHECK, error
    assert error.diag.constraint_name == "masters_shares_sold_within_total"
    total = scalar(db, "SELECT total_shares FROM masters WHERE id = %s", (master,))
    assert (shares_sold(db, ipo), total) in ((100, 100), (90, 95))


# --- one purchase per request ---------------------------------------------------


def test_a_replayed_purchase_request_buys_once(db: Connection) -> None:
    ipo, buyer, key = new_ipo(db), new_user(db), new_key()
    execute(db, buy_sql(ipo, buyer, 2, key=key))
    with refused(errorcodes.UNIQUE_VIOLATION, "ownership_owner_idempotency_key"):
        execute(db, buy_sql(ipo, buyer, 2, key=key))
    execute(db, buy_sql(ipo, new_user(db), 2, key=key))  # the key is unique per buyer
    with refused(CHECK, "ownership_idempotency_key_required"):
        run(
            db,
            "INSERT INTO ownership (ipo_id, owner_id, shares, purchase_price) VALUES (%s, %s, 1, 2.5)",
            (ipo, buyer),
        )
    assert shares_sold(db, ipo) == 4


def test_two_simultaneous_replays_of_one_purchase_buy_once(
    db: Connection, deployed_url: str
) -> None:
    ipo, buyer, key = new_ipo(db), new_user(db), new_key()

    outcomes = race(deployed_url, *[lambda c: execute(c, buy_sql(ipo, buyer, 3, key=key))] * 2)

    assert single_error(outcomes).pgcode == errorcodes.UNIQUE_VIOLATION
    assert shares_sold(db, ipo) == 3
