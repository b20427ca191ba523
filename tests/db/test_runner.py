"""The runner in-process, with a listener that records (or acts on) every event.

Reaches what the CLI cannot: the history insert failing on the server, a connection killed
between two statements, a second runner that got past the lock.
"""

from __future__ import annotations

import psycopg2
import pytest
from engine_helpers import Engine

from audifi_db import discovery, events
from audifi_db.config import load_settings
from audifi_db.errors import ConnectError, MigrationFailedError


@pytest.fixture
def engine(tmp_path, db_url) -> Engine:
    return Engine(tmp_path, db_url)


def test_the_applied_row_is_written_in_the_migrations_own_transaction(engine):
    engine.write(
        "20260101000001",
        "seen",
        "create table seen (xid bigint);\ninsert into seen values (txid_current() % 4294967296);\n",
    )
    engine.deploy()
    [(row_xid,)] = engine.query(
        "select xmin::text::bigint from audifi_migrations where version = '20260101000001'"
    )
    assert engine.query("select xid from seen") == [(row_xid,)]


def test_the_applied_row_says_which_role_applied_it_from_which_machine(engine):
    import socket

    engine.write("20260101000001", "who", "create table who (id int);\n")
    engine.deploy()
    [(applied_by, role)] = engine.query(
        "select applied_by, current_user from audifi_migrations where version = '20260101000001'"
    )
    assert applied_by == f"{role}@{socket.gethostname()}"


def test_a_history_insert_refused_by_the_server_rolls_the_migration_back(engine):
    engine.write("20260101000000", "first", "create table first (id int);\n")
    engine.deploy()  # creates the history table
    engine.query(
        "create function refuse() returns trigger language plpgsql as $$ begin "
        "raise exception 'history is read-only today'; end $$;"
        "create trigger refuse before insert on audifi_migrations for each row "
        "when (new.state = 'applied') execute function refuse()"
    )
    engine.write("20260101000001", "t", "create table t (id int);\ninsert into t values (1);\n")
    with pytest.raises(MigrationFailedError, match="recording it in the history") as failed:
        engine.deploy()
    assert "history is read-only today" in failed.value.message
    assert engine.query("select to_regclass('t')") == [(None,)]
    assert engine.query(
        "select state, failed_statement from audifi_migrations where version = '20260101000001'"
    ) == [("failed", "INSERT INTO <history table>")]


def test_a_connection_killed_between_two_statements_leaves_nothing(engine):
    engine.write(
        "20260101000001", "two", "create table first (id int);\ncreate table second (id int);\n"
    )
    runner = engine.runner()

    def kill_after_first(event):
        if isinstance(event, events.StatementFinished) and event.statement == 1:
            engine.query(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = current_database() and application_name like 'audifi-db (%%'"
            )

    runner.emit = lambda event: (engine.events.append(event), kill_after_first(event))
    with pytest.raises(ConnectError, match="lost the database connection"):
        runner.deploy(discovery.discover(engine.folder))
    assert engine.query("select to_regclass('first')") == [(None,)]
    assert engine.names()[-1] == "run_failed"
    engine.deploy()  # the next run applies it whole
    assert engine.query(
        "select to_regclass('first') is not null, to_regclass('second') is not null"
    ) == [(True, True)]


def test_a_second_runner_past_the_lock_cannot_record_a_version_twice(engine):
    engine.write(
        "20260101000001",
        "log",
        "create table if not exists log (n int);\ninsert into log values (1);\n",
    )
    result = engine.deploy()
    runner = engine.runner()
    with runner.locked() as session:  # as if a second run had planned before the first applied
        with pytest.raises(MigrationFailedError, match="23505"):
            runner.apply(session, session.history, result.plan.steps, result.statements)
    assert engine.query("select count(*) from log") == [(1,)]
    applied = "select count(*) from audifi_migrations where state = 'applied'"
    assert engine.query(applied) == [(1,)]


def test_the_failed_line_is_where_the_server_points_inside_the_statement(engine):
    engine.write(
        "20260101000001",
        "bad",
        "-- a comment\ncreate table t (\n  id int,\n  v no_such_type\n);\n",
    )
    with pytest.raises(MigrationFailedError, match=r":4: migration"):
        engine.deploy()
    failed = [e for e in engine.events if isinstance(e, events.MigrationFailed)]
    assert failed[0].line == 4 and failed[0].sqlstate == "42704"
    assert engine.query("select failed_line from audifi_migrations") == [(4,)]


def test_events_of_a_run_come_in_order_with_their_target(engine):
    engine.write(
        "20260101000001", "a", "create table a (id int);\ninsert into a values (1), (2);\n"
    )
    engine.write("20260101000002", "b", "create table b (id int);\n")
    engine.deploy()
    assert engine.names() == [
        "lock_acquired",
        "run_started",
        "guard_passed",  # plan
        "guard_passed",  # lint
        "guard_passed",  # promotion
        "guard_passed",  # backup
        "migration_started",
        "statement_started",
        "statement_finished",
        "statement_started",
        "statement_finished",
        "migration_applied",
        "migration_started",
        "statement_started",
        "statement_finished",
        "migration_applied",
        "run_finished",
    ]
    started = engine.events[1]
    assert started.pending == ("20260101000001_a.sql", "20260101000002_b.sql")
    rows = [e.rows_affected for e in engine.events if isinstance(e, events.StatementFinished)]
    assert rows == [None, 2, None]  # DDL changes no rows
    assert {e.target.database for e in engine.events} == {engine.url.rsplit("/", 1)[1]}
    assert engine.events[-1].applied == 2


def test_a_lock_wait_is_an_event_naming_the_holder(engine):
    from audifi_db.postgres.lock import lock_key

    engine.write("20260101000001", "a", "create table a (id int);\n")
    holder = psycopg2.connect(engine.url, application_name="on-call shell")
    holder.autocommit = True
    try:
        holder.cursor().execute(
            "select pg_advisory_lock(%s)", (lock_key("public", "audifi_migrations"),)
        )
        released = []

        def release_on_wait(event):
            if isinstance(event, events.LockWaiting) and not released:
                released.append(event.holder)
                holder.close()

        engine.deploy(on_event=release_on_wait)
    finally:
        holder.close()
    assert "on-call shell" in released[0]
    assert engine.names()[:2] == ["lock_waiting", "lock_acquired"]


def test_a_deploy_with_a_raising_and_a_hanging_listener_finishes_with_the_third_intact(engine):
    import time

    from audifi_db import operations

    class Raises:
        def on_event(self, event):
            raise RuntimeError("metrics backend down")

    class Hangs:
        def on_event(self, event):
            time.sleep(30)

    class Records:
        def __init__(self):
            self.names = []

        def on_event(self, event):
            self.names.append(event.NAME)

    for i in range(1, 4):
        engine.write(f"2026010100000{i}", f"m{i}", f"create table t{i} (id int);\n")
    reports, third = [], Records()
    settings = load_settings("local", engine.url, cwd=engine.root, environ={})
    began = time.monotonic()
    result = operations.deploy(settings, [Raises(), Hangs(), third], report=reports.append)
    assert time.monotonic() - began < 20  # the hanging listener sleeps 30 s per event
    assert result.applied == 3
    assert third.names.count("migration_applied") == 3 and third.names[-1] == "run_finished"
    assert sum("Raises failed" in r for r in reports) == 1
    assert sum("Hangs" in r for r in reports) == 1
