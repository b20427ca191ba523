"""Access: the application's role does what the backend needs and no more; analytics reads.

The first five migrations created no role: the application connected as the owner and could
rewrite anything. Roles are cluster-wide and shared with other test databases: these tests
never drop or alter audifi_app or audifi_readonly; each creates its own login role (a unique
name), grants it one of them, and drops it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from psycopg2 import errorcodes
from schema_helpers import (
    Connection,
    buy_sql,
    execute,
    ledger_sql,
    member_logins,
    new_coin,
    new_ipo,
    new_user,
    refused,
    rows,
    run,
    scalar,
    session,
)

DENIED = errorcodes.INSUFFICIENT_PRIVILEGE


@pytest.fixture
def db(deployed_url: str) -> Iterator[Connection]:
    yield from session(deployed_url)


@pytest.fixture
def login_as(deployed_url: str) -> Iterator[Callable[[str], Connection]]:
    yield from member_logins(deployed_url)


def test_the_roles_exist_cannot_log_in_and_own_nothing(db: Connection) -> None:
    for role in ("audifi_app", "audifi_readonly"):
        assert scalar(db, "SELECT NOT rolcanlogin FROM pg_roles WHERE rolname = %s", (role,))
        owned = scalar(
            db,
            """SELECT (SELECT count(*) FROM pg_class WHERE relowner = %(r)s::regrole)
                    + (SELECT count(*) FROM pg_proc WHERE proowner = %(r)s::regrole)
                    + (SELECT count(*) FROM pg_type WHERE typowner = %(r)s::regrole)
                    + (SELECT count(*) FROM pg_namespace WHERE nspowner = %(r)s::regrole)""",
            {"r": role},
        )
        assert owned == 0


def test_the_application_appends_to_ledgers_and_cannot_rewrite_them(
    db: Connection, login_as: Callable[[str], Connection]
) -> None:
    coin, holder, ipo = new_coin(db), new_user(db), new_ipo(db)
    app = login_as("audifi_app")
    execute(app, ledger_sql(coin, "mint", 10, to_user=holder))  # balances written by the trigger
    execute(app, buy_sql(ipo, holder, 2))
    run(app, "UPDATE users SET display_name = 'Nova' WHERE id = %s", (holder,))
    assert scalar(app, "SELECT balance FROM coin_balances WHERE user_id = %s", (holder,)) == 10
    for statement in (
        "UPDATE coin_transactions SET amount = 1",
        "DELETE FROM coin_transactions",
        "TRUNCATE coin_transactions",
        "DELETE FROM ownership",
        "TRUNCATE ownership",
        "UPDATE coin_balances SET balance = 1000",
        "INSERT INTO liquidity_positions (pool_id, user_id) VALUES (gen_random_uuid(), gen_random_uuid())",
        "DELETE FROM v_studio_events",
        "TRUNCATE users",
        "SELECT * FROM audifi_migrations",
        "SELECT * FROM v_studio_events_y2026m12",  # partitions are reached through their parent
        "SELECT audifi_ensure_partitions()",
        "CREATE TABLE app_owned (id int)",
    ):
        with refused(DENIED):
            run(app, statement)


def test_analytics_reads_everything_and_writes_nothing(
    db: Connection, login_as: Callable[[str], Connection]
) -> None:
    new_user(db)
    reader = login_as("audifi_readonly")
    tables = [
        name
        for (name,) in rows(
            db,
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            " AND relkind IN ('r', 'p') AND NOT relispartition"
            " AND relname NOT IN ('audifi_migrations', 'v_studio_events_legacy', 'engagement_events_default')",
        )
    ]
    for table in tables:
        run(reader, f"SELECT * FROM {table} LIMIT 1")
    with refused(DENIED):
        run(reader, "UPDATE users SET display_name = 'x'")


def test_tables_created_later_get_the_same_privileges(
    db: Connection, login_as: Callable[[str], Connection]
) -> None:
    run(db, "CREATE TABLE later_table (id int)")
    app, reader = login_as("audifi_app"), login_as("audifi_readonly")
    run(app, "INSERT INTO later_table VALUES (1)")
    assert scalar(reader, "SELECT count(*) FROM later_table") == 1
