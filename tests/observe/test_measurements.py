"""What the runner measures inside a migration and the lock watcher sees from outside,
checked against what the database itself says."""

from __future__ import annotations

import json
import threading
import time

import psycopg2
from observe_helpers import LOCKING, deploy_while_a_session_waits

from audifi_db import events, operations
from audifi_db.config import load_settings


class Recorder:
    def __init__(self) -> None:
        self.events: list[events.Event] = []

    def on_event(self, event: events.Event) -> None:
        self.events.append(event)

    def applied(self, version: str) -> events.MigrationApplied:
        return next(
            e
            for e in self.events
            if isinstance(e, events.MigrationApplied) and e.version == version
        )


# The watcher on, as staging and production have it by default; lock waits unbounded, so that
# a migration made to wait (holding its table) is not cut short by the online lock timeout.
UNBOUNDED = {"AUDIFI_DB_ONLINE_LOCK_TIMEOUT_MS": "0"}
WATCHING = {"AUDIFI_DB_METRICS_WATCH": "true", **UNBOUNDED}


def deploy(project, *listeners, **environ):
    """A local deploy measuring as staging and production do by default."""
    environ = {"AUDIFI_DB_METRICS_ENABLED": "true", **environ}
    settings = load_settings("local", project.url, cwd=project.root, environ=environ)
    return operations.deploy(settings, list(listeners))


def metrics_of(project, version: str) -> dict:
    rows = project.query(
        "select metrics from audifi_migrations where version = %s order by id desc limit 1",
        (version,),
    )
    return rows[0][0]


def test_rows_and_index_sizes_match_what_the_database_says(project):
    project.write(
        "20260101000001",
        "orders",
        "CREATE TABLE orders (id bigint PRIMARY KEY, status text);\n"
        "INSERT INTO orders SELECT g, 'new' FROM generate_series(1, 1000) g;\n"
        "UPDATE orders SET status = 'paid' WHERE id <= 10;\n"
        "DELETE FROM orders WHERE id > 995;\n"
        "CREATE INDEX orders_status_idx ON orders (status);\n",
    )
    recorder = Recorder()
    deploy(project, recorder)

    measured = metrics_of(project, "20260101000001")
    assert measured["rows"] == [
        {"statement": 2, "line": 2, "rows": 1000},
        {"statement": 3, "line": 3, "rows": 10},
        {"statement": 4, "line": 4, "rows": 5},
    ]
    said = dict(
        project.query(
            "select relname, pg_relation_size(oid) from pg_class "
            "where relname in ('orders_pkey', 'orders_status_idx')"
        )
    )
    built = {i["index"]: i["bytes"] for i in measured["indexes"]}
    assert built == {
        "public.orders_pkey": said["orders_pkey"],
        "public.orders_status_idx": said["orders_status_idx"],
    }
    assert all(i["table"] == "public.orders" for i in measured["indexes"])
    (table,) = measured["tables"]
    assert table["table"] == "public.orders" and table["created"] and table["bytes_before"] == 0
    assert table["bytes_after"] == project.query("select pg_relation_size('orders')")[0][0] > 0
    locks = {lock["relation"]: lock["mode"] for lock in measured["locks"]}
    assert locks["public.orders"] == "AccessExclusiveLock"
    # the event carries what the history row stores (the watcher adds nothing: it was quick)
    assert recorder.applied("20260101000001").measurements == measured
    assert project.query("select rows_affected from audifi_migrations") == [(1015,)]


def test_a_rewrite_is_told_from_a_change_in_place(project):
    project.write("20260101000001", "create", "CREATE TABLE t (id int PRIMARY KEY, v int);\n")
    deploy(project)
    filenode = "select pg_relation_filenode('t')"
    (before,) = project.query(filenode)[0]
    project.write("20260101000002", "add", "ALTER TABLE t ADD COLUMN note text;\n")
    deploy(project)
    (unchanged,) = project.query(filenode)[0]
    project.write("20260101000003", "widen", "ALTER TABLE t ALTER COLUMN v TYPE bigint;\n")
    deploy(project)
    (after,) = project.query(filenode)[0]

    assert unchanged == before and after != before  # what the database says
    assert metrics_of(project, "20260101000002")["tables"][0]["rewritten"] is False
    widened = metrics_of(project, "20260101000003")
    assert widened["tables"][0]["rewritten"] is True
    # the rewrite rebuilt the primary key: a new index of its size
    assert [i["index"] for i in widened["indexes"]] == ["public.t_pkey"]


def test_a_session_waiting_on_the_migrations_lock_is_recorded_with_its_wait(project):
    project.write("20260101000001", "create", "CREATE TABLE t (id int);\n")
    deploy(project)
    project.write("20260101000002", "lock", LOCKING)
    waiter_pid = deploy_while_a_session_waits(project, lambda: deploy(project, **WATCHING))

    measured = metrics_of(project, "20260101000002")
    assert {"relation": "public.t", "mode": "AccessExclusiveLock"}.items() <= next(
        lock for lock in measured["locks"] if lock["relation"] == "public.t"
    ).items()
    (seen,) = measured["waiters"]
    assert seen["pid"] == waiter_pid
    assert seen["waiting_for"] == "public.t" and seen["mode"] == "AccessShareLock"
    assert 1500 <= seen["waited_ms"] < 30_000
    assert measured["max_wait_ms"] == seen["waited_ms"]
    assert seen["user"] == "postgres"


def test_a_no_transaction_migrations_locks_are_sampled_from_outside(project):
    project.write("20260101000001", "create", "CREATE TABLE t (id int);\n")
    project.write(
        "20260101000002",
        "slow_read",
        "-- audifi-db: no-transaction\nSELECT pg_sleep(1.5), count(*) FROM t;\n",
    )
    deploy(project, **WATCHING)

    measured = metrics_of(project, "20260101000002")
    assert measured["watched"]["samples"] >= 2
    lock = next(lock for lock in measured["locks"] if lock["relation"] == "public.t")
    assert lock["mode"] == "AccessShareLock" and lock["kind"] == "table"
    assert 700 <= lock["held_ms"] <= 30_000
    assert measured["waiters"] == []


def test_metrics_disabled_measures_nothing(project):
    project.write("20260101000001", "create", "CREATE TABLE t (id int);\n")
    recorder = Recorder()
    deploy(project, recorder, AUDIFI_DB_METRICS_ENABLED="false")
    assert metrics_of(project, "20260101000001") == {}
    assert recorder.applied("20260101000001").measurements == {}
    assert json.dumps(recorder.applied("20260101000001").to_json())  # still a plain event


def test_a_table_another_session_holds_is_measured_after_only_and_the_migration_applies(project):
    project.write("20260101000001", "create", "CREATE TABLE t (id int);\n")
    deploy(project)
    project.write("20260101000002", "add", "ALTER TABLE t ADD COLUMN note text;\n")
    holder = psycopg2.connect(project.url)
    with holder.cursor() as cur:
        cur.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")  # held until the rollback below
        run = threading.Thread(target=lambda: deploy(project, **UNBOUNDED))
        run.start()
        time.sleep(2.5)  # the measuring read gives up after 1 s; the ALTER itself waits
        assert run.is_alive()
    holder.rollback()
    run.join(60)
    holder.close()

    assert project.query(
        "select state from audifi_migrations where version = '20260101000002'"
    ) == [("applied",)]
    (table,) = metrics_of(project, "20260101000002")["tables"]
    assert table["bytes_before"] is None and table["rewritten"] is None  # not read: not said
    assert table["bytes_after"] == project.query("select pg_relation_size('t')")[0][0]


def test_in_one_run_before_is_what_the_previous_migration_left(project):
    project.write(
        "20260101000001",
        "fill",
        "CREATE TABLE t (id int PRIMARY KEY, v int);\n"
        "INSERT INTO t SELECT g, g FROM generate_series(1, 2000) g;\n",
    )
    project.write("20260101000002", "widen", "ALTER TABLE t ALTER COLUMN v TYPE bigint;\n")
    project.write("20260101000003", "note", "ALTER TABLE t ADD COLUMN note text;\n")
    deploy(project)

    filled = metrics_of(project, "20260101000001")["tables"][0]
    widened = metrics_of(project, "20260101000002")["tables"][0]
    noted = metrics_of(project, "20260101000003")["tables"][0]
    assert widened["bytes_before"] == filled["bytes_after"] > 0
    assert widened["rewritten"] is True and noted["rewritten"] is False
    assert noted["bytes_before"] == widened["bytes_after"] == noted["bytes_after"]
    assert noted["bytes_after"] == project.query("select pg_relation_size('t')")[0][0]
