"""AudiFi schema invariants: each test tries to break one and sees PostgreSQL refuse.

Runs against a fresh database with every db/migrations file deployed.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from schema_helpers import (
    CHECK,
    FOREIGN_KEY,
    RESTRICT,
    UNIQUE,
    Connection,
    balance,
    buy_sql,
    execute,
    ledger_sql,
    new_coin,
    new_ipo,
    new_master,
    new_pool,
    new_user,
    refused,
    rows,
    run,
    scalar,
    session,
    supply_is_held,
    swap_sql,
)

from audifi_db.discovery import discover
from audifi_db.sql import parse

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(deployed_url: str) -> Iterator[Connection]:
    yield from session(deployed_url)


# --- users and auth ---------------------------------------------------------


def test_email_is_unique_regardless_of_case(db: Connection) -> None:
    new_user(db, email="Nova@AudiFi.io")
    with refused(UNIQUE, "users_email_folded_key"):
        new_user(db, email="nova@audifi.io")


def test_handle_role_and_wallet_are_checked(db: Connection) -> None:
    user = new_user(db)
    run(
        db,
        "UPDATE users SET wallet_address = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed' WHERE id = %s",
        (user,),
    )
    with refused(CHECK, "users_wallet_address_format"):
        run(db, "UPDATE users SET wallet_address = '5aAeb6053F3E94C9' WHERE id = %s", (user,))
    with refused(CHECK, "users_role_known"):
        run(db, "UPDATE users SET role = 'superuser' WHERE id = %s", (user,))
    with refused(UNIQUE, "users_handle_lower_key"):
        run(
            db,
            "INSERT INTO users (email, handle) SELECT 'x@y.io', upper(handle) FROM users WHERE id = %s",
            (user,),
        )


def test_totp_needs_its_encrypted_secret(db: Connection) -> None:
    user = new_user(db)
    with refused(CHECK, "two_factor_settings_totp_has_secret"):
        run(db, "INSERT INTO two_factor_settings (user_id, method) VALUES (%s, 'totp')", (user,))
    run(
        db,
        "INSERT INTO two_factor_settings (user_id, method, totp_secret_encrypted) VALUES (%s, 'totp', %s)",
        (user, psycopg2.Binary(b"\x01\x02ciphertext")),
    )


def subscribe(conn: Connection, user: str, status: str, reference: str) -> None:
    run(
        conn,
        "INSERT INTO subscriptions (user_id, plan, status, provider, provider_reference,"
        " current_period_start, current_period_end)"
        " VALUES (%s, 'fan_plus', %s, 'stripe', %s, now(), now() + interval '1 month')",
        (user, status, reference),
    )


def test_at_most_one_live_subscription_per_user(db: Connection) -> None:
    user = new_user(db)
    subscribe(db, user, "canceled", "sub_old")
    subscribe(db, user, "active", "sub_1")
    with refused(UNIQUE, "subscriptions_one_live_per_user"):
        subscribe(db, user, "trialing", "sub_2")


def test_subscription_period_ends_after_it_starts(db: Connection) -> None:
    with refused(CHECK, "subscriptions_period_end_after_start"):
        run(
            db,
            "INSERT INTO subscriptions (user_id, plan, provider, provider_reference,"
            " current_period_start, current_period_end)"
            " VALUES (%s, 'fan_plus', 'stripe', 'sub_x', now(), now() - interval '1 day')",
            (new_user(db),),
        )


def test_user_holding_shares_cannot_be_deleted_only_soft_deleted(db: Connection) -> None:
    holder = new_user(db)
    execute(db, buy_sql(new_ipo(db), holder, 5))
    with refused(FOREIGN_KEY, "ownership_owner_id_fkey"):
        run(db, "DELETE FROM users WHERE id = %s", (holder,))
    run(db, "UPDATE users SET deleted_at = now() WHERE id = %s", (holder,))
    assert scalar(db, "SELECT count(*) FROM ownership WHERE owner_id = %s", (holder,)) == 1


# --- master IPO -------------------------------------------------------------


def test_seed_style_inserts_still_work(db: Connection) -> None:
    artist = new_user(db, role="artist")
    run(
        db, "INSERT INTO masters (title, artist_id, ipfs_hash) VALUES ('Song', %s, NULL)", (artist,)
    )
    master = scalar(db, "SELECT id FROM masters WHERE artist_id = %s", (artist,))
    run(
        db,
        "INSERT INTO ipos (master_id, total_shares, share_price, start_date) VALUES (%s, 10, 1.5, now())",
        (master,),
    )
    assert scalar(db, "SELECT status FROM ipos WHERE master_id = %s", (master,)) == "pending"


@pytest.mark.parametrize(
    ("column", "value", "constraint"),
    [
        ("total_shares", 0, "ipos_total_shares_positive"),
        ("share_price", Decimal("-0.01"), "ipos_share_price_positive"),
        ("status", "live", "ipos_status_known"),
    ],
)
def test_ipo_values_are_checked(
    db: Connection, column: str, value: object, constraint: str
) -> None:
    ipo = new_ipo(db, status="pending")
    with refused(CHECK, constraint):
        run(db, f"UPDATE ipos SET {column} = %s WHERE id = %s", (value, ipo))


def test_ipo_cannot_end_before_it_starts(db: Connection) -> None:
    with refused(CHECK, "ipos_end_after_start"):
        run(
            db,
            "INSERT INTO ipos (master_id, total_shares, share_price, start_date, end_date)"
            " VALUES (%s, 10, 1, now(), now() - interval '1 day')",
            (new_master(db),),
        )


def test_at_most_one_open_ipo_per_master(db: Connection) -> None:
    master = new_master(db)
    new_ipo(db, status="closed", master_id=master)
    new_ipo(db, status="open", master_id=master)
    with refused(UNIQUE, "ipos_one_open_per_master"):
        new_ipo(db, status="open", master_id=master)


def test_never_more_shares_owned_than_issued(db: Connection) -> None:
    ipo = new_ipo(db, total_shares=10)
    execute(db, buy_sql(ipo, new_user(db), 7))
    with refused(CHECK, "ipos_shares_sold_within_total"):
        execute(db, buy_sql(ipo, new_user(db), 4))
    execute(db, buy_sql(ipo, new_user(db), 3))
    with refused(CHECK, "ipos_shares_sold_within_total"):
        run(db, "UPDATE ipos SET total_shares = 9 WHERE id = %s", (ipo,))


def test_shares_are_bought_only_from_an_open_ipo(db: Connection) -> None:
    with refused(CHECK, "ownership_ipo_open"):
        execute(db, buy_sql(new_ipo(db, status="pending"), new_user(db), 1))


def test_shares_sold_is_maintained_by_the_database_only(db: Connection) -> None:
    ipo = new_ipo(db)
    with refused(RESTRICT, "ipos_protect_shares_sold"):
        run(db, "UPDATE ipos SET shares_sold = 1 WHERE id = %s", (ipo,))
    with refused(RESTRICT, "ipos_protect_shares_sold"):
        run(
            db,
            "INSERT INTO ipos (master_id, total_shares, share_price, start_date, shares_sold)"
            " VALUES (%s, 10, 1, now(), 5)",
            (new_master(db),),
        )


# --- V Studio ---------------------------------------------------------------


@pytest.fixture
def session_id(db: Connection) -> str:
    return scalar(
        db,
        "INSERT INTO v_studio_sessions (host_id, title) VALUES (%s, 'Jam') RETURNING id",
        (new_user(db, role="artist"),),
    )


@pytest.mark.parametrize("data", ['["tempo", 96]', '"96 bpm"', "96"])
def test_decision_data_must_be_a_json_object(db: Connection, session_id: str, data: str) -> None:
    insert = (
        "INSERT INTO session_decisions (session_id, decision_type, data) VALUES (%s, 'tempo', %s)"
    )
    with refused(CHECK, "session_decisions_data_is_object"):
        run(db, insert, (session_id, data))
    run(db, insert, (session_id, '{"bpm": 96}'))


def test_session_cannot_end_before_it_starts(db: Connection, session_id: str) -> None:
    with refused(CHECK, "v_studio_sessions_end_after_start"):
        run(
            db,
            "UPDATE v_studio_sessions SET status = 'ended', ended_at = started_at - interval '1 minute'"
            " WHERE id = %s",
            (session_id,),
        )


def test_participant_is_present_once_and_leaves_after_joining(
    db: Connection, session_id: str
) -> None:
    user = new_user(db)
    join = (
        "INSERT INTO session_participants (session_id, user_id, role) VALUES (%s, %s, 'producer')"
    )
    run(db, join, (session_id, user))
    with refused(UNIQUE, "session_participants_one_presence"):
        run(db, join, (session_id, user))
    with refused(CHECK, "session_participants_left_after_joined"):
        run(
            db,
            "UPDATE session_participants SET left_at = joined_at - interval '1 second'"
            " WHERE user_id = %s",
            (user,),
        )
    with refused(CHECK, "session_participants_role_known"):
        run(db, "UPDATE session_participants SET role = 'dj' WHERE user_id = %s", (user,))


def test_collaboration_events_are_append_only(db: Connection, session_id: str) -> None:
    run(
        db,
        "INSERT INTO v_studio_events (session_id, event_type, payload) VALUES (%s, 'track.edit', '{}')",
        (session_id,),
    )
    for statement, rule in (
        ("UPDATE v_studio_events SET event_type = 'chat.message'", "v_studio_events_append_only"),
        ("DELETE FROM v_studio_events", "v_studio_events_append_only"),
        ("TRUNCATE v_studio_events", "v_studio_events_no_truncate"),
        # A partition reports its parent's rule: the row trigger is inherited under its name.
        ("DELETE FROM v_studio_events_y2026m12", "v_studio_events_append_only"),
    ):
        with refused(RESTRICT, rule):
            run(db, statement)
    assert scalar(db, "SELECT count(*) FROM v_studio_events") == 1


# --- artist coins -----------------------------------------------------------


def test_coin_symbol_is_unique_and_upper_case(db: Connection) -> None:
    new_coin(db, symbol="NOVA")
    with refused(UNIQUE, "coins_symbol_key"):
        new_coin(db, symbol="NOVA")
    with refused(CHECK, "coins_symbol_format"):
        new_coin(db, symbol="nova")


def test_balances_follow_the_ledger_and_never_go_negative(db: Connection) -> None:
    coin, alice, bob = new_coin(db), new_user(db), new_user(db)
    execute(db, ledger_sql(coin, "mint", 100, to_user=alice))
    execute(db, ledger_sql(coin, "transfer", Decimal("40.5"), from_user=alice, to_user=bob))
    execute(db, ledger_sql(coin, "burn", Decimal("0.5"), from_user=bob))
    assert (balance(db, coin, alice), balance(db, coin, bob)) == (Decimal("59.5"), Decimal("40"))
    assert scalar(db, "SELECT total_supply FROM coins WHERE id = %s", (coin,)) == Decimal("99.5")
    with refused(CHECK, "coin_balances_balance_non_negative"):
        execute(db, ledger_sql(coin, "transfer", 60, from_user=alice, to_user=bob))
    with refused(CHECK, "coin_balances_balance_non_negative"):
        execute(db, ledger_sql(coin, "burn", 1, from_user=new_user(db)))
    assert balance(db, coin, alice) == Decimal("59.5")


def test_balances_cannot_be_written_directly(db: Connection) -> None:
    coin, alice = new_coin(db), new_user(db)
    execute(db, ledger_sql(coin, "mint", 10, to_user=alice))
    for statement, rule in (
        ("UPDATE coin_balances SET balance = 1000", "coin_balances_protect"),
        (
            "UPDATE coin_balances SET balance = 0 WHERE false",
            "coin_balances_protect",
        ),  # per statement
        ("DELETE FROM coin_balances", "coin_balances_protect"),
        (
            f"INSERT INTO coin_balances (coin_id, user_id, balance) VALUES ('{coin}', '{new_user(db)}', 5)",
            "coin_balances_protect",
        ),
        ("DELETE FROM liquidity_positions", "liquidity_positions_protect"),
    ):
        with refused(RESTRICT, rule):
            run(db, statement)
    with refused(RESTRICT, "coins_protect_total_supply"):
        run(db, "UPDATE coins SET total_supply = 1 WHERE id = %s", (coin,))
    assert balance(db, coin, alice) == 10


def test_ledger_rows_cannot_be_updated_or_deleted(db: Connection) -> None:
    coin = new_coin(db)
    execute(db, ledger_sql(coin, "mint", 10, to_user=new_user(db)))
    for statement, rule in (
        ("UPDATE coin_transactions SET amount = 1000", "coin_transactions_immutable"),
        ("DELETE FROM coin_transactions", "coin_transactions_immutable"),
        ("TRUNCATE coin_transactions", "coin_transactions_no_truncate"),
    ):
        with refused(RESTRICT, rule):
            run(db, statement)
    assert scalar(db, "SELECT amount FROM coin_transactions") == 10


def test_ledger_rows_are_well_formed(db: Connection) -> None:
    coin, alice = new_coin(db, decimals=2, max_supply=1000), new_user(db)
    with refused(CHECK, "coin_transactions_shape"):
        execute(db, ledger_sql(coin, "transfer", 1, from_user=alice, to_user=alice))
    with refused(CHECK, "coin_transactions_amount_positive"):
        execute(db, ledger_sql(coin, "mint", -1, to_user=alice))
    with refused(CHECK, "coin_transactions_amount_precision"):
        execute(db, ledger_sql(coin, "mint", Decimal("1.001"), to_user=alice))
    with refused(CHECK, "coins_total_supply_within_bounds"):
        execute(db, ledger_sql(coin, "mint", 1001, to_user=alice))


def test_pool_reserves_never_go_negative(db: Connection) -> None:
    pool = new_pool(db)
    trader = new_user(db)
    execute(db, ledger_sql(pool.coin_a, "mint", 10, to_user=trader))
    execute(db, swap_sql(pool.id, trader, (pool.coin_a, 10), (pool.coin_b, Decimal("9.87"))))
    assert (
        scalar(db, "SELECT (reserve_a, reserve_b)::text FROM liquidity_pools")
        == "(1010.000000000000000000,990.130000000000000000)"
    )
    with refused(CHECK, "liquidity_pools_reserves_non_negative"):
        execute(
            db,
            ledger_sql(pool.coin_b, "remove_liquidity", 991, to_user=pool.provider, pool=pool.id),
        )
    with refused(CHECK, "coin_transactions_coin_in_pool"):
        execute(
            db,
            ledger_sql(new_coin(db), "remove_liquidity", 1, to_user=pool.provider, pool=pool.id),
        )
    with refused(RESTRICT, "liquidity_pools_protect_reserves"):
        run(db, "UPDATE liquidity_pools SET reserve_a = 0")


def test_pool_fee_and_pair_are_checked(db: Connection) -> None:
    pool = new_pool(db)
    coin_a, coin_b = pool.coin_a, pool.coin_b
    with refused(CHECK, "liquidity_pools_fee_bps_range"):
        run(db, "UPDATE liquidity_pools SET fee_bps = 10000")
    with refused(CHECK, "liquidity_pools_canonical_pair"):
        run(
            db,
            "INSERT INTO liquidity_pools (coin_a_id, coin_b_id) VALUES (%s, %s)",
            (coin_b, coin_a),
        )
    with refused(UNIQUE, "liquidity_pools_pair_key"):
        run(
            db,
            "INSERT INTO liquidity_pools (coin_a_id, coin_b_id) VALUES (%s, %s)",
            (coin_a, coin_b),
        )


# --- analytics --------------------------------------------------------------


def test_daily_metrics_are_consistent(db: Connection) -> None:
    insert = (
        "INSERT INTO master_daily_metrics (master_id, metric_date, plays, unique_listeners, revenue)"
        " VALUES (%s, '2026-11-20', %s, %s, %s)"
    )
    master = new_master(db)
    with refused(CHECK, "master_daily_metrics_listeners_within_plays"):
        run(db, insert, (master, 10, 11, 0))
    with refused(CHECK, "master_daily_metrics_revenue_non_negative"):
        run(db, insert, (master, 10, 5, -1))
    run(db, insert, (master, 10, 5, Decimal("0.04")))
    with refused(UNIQUE, "master_daily_metrics_pkey"):
        run(db, insert, (master, 12, 6, 0))


def partition_of(conn: Connection, occurred_at: str) -> str:
    return scalar(
        conn,
        "SELECT tableoid::regclass::text FROM engagement_events WHERE occurred_at = %s",
        (occurred_at,),
    )


def test_engagement_event_without_partition_is_refused_until_its_month_is_added(
    db: Connection,
) -> None:
    insert = "INSERT INTO engagement_events (occurred_at, event_type) VALUES (%s, 'play')"
    run(db, insert, ("2026-11-23 08:00+00",))
    assert partition_of(db, "2026-11-23 08:00+00") == "engagement_events_y2026m11"
    with refused(CHECK):  # no default partition: "no partition of relation ... found for row"
        run(db, insert, ("2035-06-15 12:00+00",))

    assert (
        scalar(db, "SELECT analytics_ensure_month_partition('2035-06-01')")
        == "engagement_events_y2035m06"
    )
    run(db, insert, ("2035-06-15 12:00+00",))
    assert partition_of(db, "2035-06-15 12:00+00") == "engagement_events_y2035m06"
    assert (
        scalar(db, "SELECT analytics_ensure_month_partition('2035-06-20')")
        == "engagement_events_y2035m06"
    )
    run(db, insert, ("2035-06-30 23:59+00",))
    assert partition_of(db, "2035-06-30 23:59+00") == "engagement_events_y2035m06"
    with refused(CHECK, "engagement_events_type_known"):
        run(
            db,
            "INSERT INTO engagement_events (occurred_at, event_type) VALUES ('2035-06-01', 'hover')",
        )


def test_ensure_partitions_covers_the_coming_months(db: Connection) -> None:
    names = [name for (name,) in rows(db, "SELECT analytics_ensure_partitions(2)")]
    assert len(names) == 3
    assert all(scalar(db, "SELECT to_regclass(%s) IS NOT NULL", (name,)) for name in names)


# --- the schema as a whole --------------------------------------------------


def test_every_foreign_key_is_backed_by_an_index(db: Connection) -> None:
    unindexed = rows(
        db,
        """
        SELECT c.conrelid::regclass::text, c.conname
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        WHERE c.contype = 'f' AND NOT t.relispartition
          AND NOT EXISTS (
              SELECT 1 FROM pg_index i
              WHERE i.indrelid = c.conrelid
                AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)""",
    )
    assert unindexed == []


def test_no_cascading_deletes_and_time_is_always_timestamptz(db: Connection) -> None:
    assert (
        rows(db, "SELECT conname FROM pg_constraint WHERE contype = 'f' AND confdeltype = 'c'")
        == []
    )
    assert (
        rows(
            db,
            """SELECT table_name, column_name FROM information_schema.columns
                        WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'""",
        )
        == []
    )


def _schema_fingerprint(conn: Connection) -> list[tuple[object, ...]]:
    return rows(
        conn,
        """
        SELECT 'column', table_name, column_name || ' ' || data_type FROM information_schema.columns
        WHERE table_schema = 'public'
        UNION ALL SELECT 'constraint', conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace
        UNION ALL SELECT 'index', tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'
        UNION ALL SELECT 'trigger', tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal
        ORDER BY 1, 2, 3""",
    )


def test_migrations_are_rerunnable(db: Connection) -> None:
    """Every file applied again, in order, as the engine applies it: one transaction, or
    statement by statement when it says no-transaction, leaves the schema as it was."""
    before = _schema_fingerprint(db)
    assert len(before) > 100
    for migration in discover(REPO / "db" / "migrations"):
        if migration.transactional:
            run(db, "BEGIN; " + migration.sql + "; COMMIT;")
        else:
            for statement in parse(migration.sql):
                run(db, statement.text)
    assert _schema_fingerprint(db) == before


def test_sample_seed_loads_and_is_consistent(db: Connection) -> None:
    for seed in sorted((REPO / "db" / "seeds").glob("*.sql")):
        run(db, "BEGIN; " + seed.read_text() + "; COMMIT;")
    counts = dict(
        rows(
            db,
            """
        SELECT 'artists', count(*) FROM users WHERE role = 'artist'
        UNION ALL SELECT 'fans', count(*) FROM users WHERE role = 'fan'
        UNION ALL SELECT 'masters', count(*) FROM masters
        UNION ALL SELECT 'open_ipos', count(*) FROM ipos WHERE status = 'open'
        UNION ALL SELECT 'holders', count(DISTINCT owner_id) FROM ownership
        UNION ALL SELECT 'sessions', count(*) FROM v_studio_sessions
        UNION ALL SELECT 'coins', count(*) FROM coins
        UNION ALL SELECT 'pools', count(*) FROM liquidity_pools
        UNION ALL SELECT 'ledger', count(*) FROM coin_transactions
        UNION ALL SELECT 'positions', count(*) FROM liquidity_positions
        UNION ALL SELECT 'refunds', count(*) FROM ownership WHERE kind = 'refund'
        UNION ALL SELECT 'decided', count(*) FROM session_decisions WHERE status = 'decided'
        UNION ALL SELECT 'open_votes', count(*) FROM session_decisions WHERE status = 'open'
        UNION ALL SELECT 'votes', count(*) FROM session_decision_votes
        UNION ALL SELECT 'events', count(*) FROM engagement_events""",
        )
    )
    assert counts == {
        "artists": 2,
        "fans": 3,
        "masters": 3,
        "open_ipos": 1,
        "holders": 3,
        "sessions": 1,
        "coins": 2,
        "pools": 1,
        "ledger": 10,
        "positions": 2,
        "refunds": 1,
        "decided": 1,
        "open_votes": 1,
        "votes": 4,
        "events": 7,
    }
    # Every unit of supply is held by someone or sits in a pool.
    assert supply_is_held(db)
    assert (
        rows(
            db,
            """SELECT id FROM ipos i WHERE shares_sold <>
                        (SELECT coalesce(sum(shares), 0) FROM ownership o WHERE o.ipo_id = i.id)""",
        )
        == []
    )


# Names whose meaning the table's comment and the name itself carry.
OBVIOUS_COLUMNS = {
    "id",
    "created_at",
    "updated_at",
    "title",
    "name",
    "display_name",
    "user_id",
    "session_id",
    "master_id",
    "coin_id",
    "pool_id",
    "ipo_id",
    "decision_id",
}


def test_every_table_and_every_non_obvious_column_has_a_comment(db: Connection) -> None:
    """The engine's history table is the engine's; the columns of the two retired tables
    (the legacy v_studio_events, the detached default partition) are their successors'."""
    tables = """SELECT c.oid, c.relname FROM pg_class c
                 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
                   AND NOT c.relispartition AND c.relname <> 'audifi_migrations'"""
    assert (
        rows(db, f"SELECT relname FROM ({tables}) t WHERE obj_description(oid, 'pg_class') IS NULL")
        == []
    )
    undocumented = rows(
        db,
        f"""SELECT t.relname || '.' || a.attname FROM ({tables}) t
              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
             WHERE col_description(t.oid, a.attnum) IS NULL AND NOT a.attname = ANY (%s)
               AND t.relname NOT IN ('v_studio_events_legacy', 'engagement_events_default')
             ORDER BY 1""",
        (sorted(OBVIOUS_COLUMNS),),
    )
    assert undocumented == []


def test_er_diagram_shows_partitioned_parents_and_every_foreign_key(
    db: Connection, deployed_url: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "audifi_db", "erd", "--database-url", deployed_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    diagram = result.stdout
    assert diagram.startswith("erDiagram")
    for table in ("users", "ipos", "ownership", "coin_transactions", "engagement_events"):
        assert f"    {table} {{" in diagram
    assert "engagement_events_2" not in diagram and "audifi_migrations" not in diagram
    relationships = [line for line in diagram.splitlines() if "--" in line]
    assert len(relationships) == scalar(
        db,
        """SELECT count(*) FROM pg_constraint WHERE contype = 'f'
                                            AND conparentid = 0 AND connamespace = 'public'::regnamespace""",
    )
    assert 'users ||--o{ ownership : "owner_id"' in diagram
    assert 'users |o--o{ engagement_events : "user_id"' in diagram
