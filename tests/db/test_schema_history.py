"""History is append-only: ledgers, share ownership, votes and what they derive can only grow.

Each attack below got through against the first five migrations (TRUNCATE skipped the row
triggers, ownership rows could be edited or deleted, an IPO that sold shares could be deleted in
two statements); corrections are now compensating rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg2 import errorcodes
from schema_helpers import (
    RESTRICT,
    Connection,
    buy_sql,
    execute,
    join,
    new_ipo,
    new_pool,
    new_session,
    new_user,
    open_vote,
    refused,
    run,
    scalar,
    session,
    vote_sql,
)


@pytest.fixture
def db(deployed_url: str) -> Iterator[Connection]:
    yield from session(deployed_url)


def with_history(db: Connection) -> None:
    """A row in every table whose TRUNCATE is refused: a purchase, a pool (coins, ledger,
    balances, positions), a decided decision with a vote, collaboration events."""
    execute(db, buy_sql(new_ipo(db), new_user(db), 3))
    new_pool(db)
    studio = new_session(db)
    decision = open_vote(db, studio)
    execute(db, vote_sql(decision, join(db, studio)))
    run(db, "UPDATE session_decisions SET status = 'decided' WHERE id = %s", (decision,))
    run(
        db,
        "INSERT INTO v_studio_events (session_id, event_type) VALUES (%s, 'chat.message')",
        (studio,),
    )


# Each table, and the rule its TRUNCATE reports as the error's constraint name.
HISTORY_TABLES = {
    "ownership": "ownership_append_only",
    "coin_transactions": "coin_transactions_no_truncate",
    "coin_balances": "coin_balances_no_truncate",
    "liquidity_positions": "liquidity_positions_no_truncate",
    "coins": "coins_no_truncate",
    "liquidity_pools": "liquidity_pools_no_truncate",
    "session_decisions": "session_decisions_no_truncate",
    "session_decision_votes": "session_decision_votes_append_only",
    "v_studio_events": "v_studio_events_no_truncate",
    # A partition: statement-level triggers are not inherited, the maintenance copies them
    # under the parent's names.
    "v_studio_events_y2026m12": "v_studio_events_no_truncate",
}


@pytest.mark.parametrize("table", HISTORY_TABLES)
def test_truncate_is_refused_wherever_history_lives(db: Connection, table: str) -> None:
    with_history(db)
    before = scalar(db, f"SELECT count(*) FROM {table}")
    with refused(RESTRICT, HISTORY_TABLES[table]):
        run(db, f"TRUNCATE {table} CASCADE")
    assert before > 0 and scalar(db, f"SELECT count(*) FROM {table}") == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ownership SET shares = 50 WHERE ipo_id = %(ipo)s",
        # The UPDATE path skipped the IPO-is-open check: move shares into a draft IPO.
        "UPDATE ownership SET ipo_id = %(draft)s WHERE ipo_id = %(ipo)s",
        "UPDATE ownership SET purchase_price = 0.01 WHERE ipo_id = %(ipo)s",
        "DELETE FROM ownership WHERE ipo_id = %(ipo)s",
        "UPDATE ownership SET shares = 1 WHERE false",  # refused per statement, even with no row
    ],
)
def test_ownership_rows_are_never_changed(db: Connection, statement: str) -> None:
    ipo, draft = new_ipo(db), new_ipo(db, status="pending")
    execute(db, buy_sql(ipo, new_user(db), 5))
    with refused(RESTRICT, "ownership_append_only"):
        run(db, statement, {"ipo": ipo, "draft": draft})
    assert (
        scalar(db, "SELECT (shares_sold, shares)::text FROM ipos, ownership WHERE ipo_id = ipos.id")
        == "(5,5)"
    )


def test_an_ipo_that_sold_shares_cannot_be_deleted_in_two_statements(db: Connection) -> None:
    ipo = new_ipo(db)
    execute(db, buy_sql(ipo, new_user(db), 1))
    with refused(RESTRICT, "ownership_append_only"):
        run(db, "DELETE FROM ownership WHERE ipo_id = %s", (ipo,))
    with refused(RESTRICT, "ipos_delete_only_draft"):
        run(db, "DELETE FROM ipos WHERE id = %s", (ipo,))
    draft = new_ipo(db, status="pending")
    run(db, "DELETE FROM ipos WHERE id = %s", (draft,))
    assert scalar(db, "SELECT count(*) FROM ipos") == 1


def test_a_correction_is_a_compensating_refund_row(db: Connection) -> None:
    ipo, holder = new_ipo(db, total_shares=10), new_user(db)
    execute(db, buy_sql(ipo, holder, 4))
    execute(db, buy_sql(ipo, holder, -3, kind="refund"))
    assert scalar(db, "SELECT shares_sold FROM ipos WHERE id = %s", (ipo,)) == 1
    with refused(errorcodes.CHECK_VIOLATION, "ownership_refund_within_holding"):
        execute(db, buy_sql(ipo, holder, -2, kind="refund"))
    with refused(errorcodes.CHECK_VIOLATION, "ownership_shares_sign_matches_kind"):
        execute(db, buy_sql(ipo, holder, 2, kind="refund"))
    assert scalar(db, "SELECT sum(shares) FROM ownership WHERE owner_id = %s", (holder,)) == 1
