"""Replica-lag throttling against a real streaming replica: a primary and a standby this
test starts on loopback (`pg_basebackup` from the primary), replay paused on the standby
until the backfill has paused for it."""

from __future__ import annotations

import subprocess
import threading
import time

import psycopg2
import pytest
from clusters import BIN, Cluster, as_server_user, free_port
from engine_helpers import Engine, wait_for

from audifi_db import events


@pytest.fixture(scope="module")
def replicated():
    """(primary url, standby url) streaming on loopback; the standby reports every second."""
    primary = Cluster().start()
    standby_data, port = primary.root / "standby", free_port()  # pg_basebackup makes it
    try:
        basebackup = [str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port)]
        basebackup += ["-U", "postgres", "-D", str(standby_data), "-R", "-X", "stream"]
        subprocess.run(as_server_user([*basebackup, "--checkpoint=fast"]), check=True)
        with (standby_data / "postgresql.auto.conf").open("a") as conf:
            conf.write("cluster_name = 'audifi_standby'\nwal_receiver_status_interval = '1s'\n")
        options = f"-p {port} -h 127.0.0.1 -k {primary.root}"
        start = [
            str(BIN / "pg_ctl"),
            "-D",
            str(standby_data),
            "-w",
            "-l",
            str(primary.root / "standby.log"),
        ]
        subprocess.run(as_server_user([*start, "start", "-o", options]), check=True)
        streaming = "select count(*) from pg_stat_replication where state = 'streaming'"
        wait_for(lambda: query(primary.url(), streaming) == [(1,)], what="the standby to stream")
        yield primary.url(), f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [str(BIN / "pg_ctl"), "-D", str(standby_data), "-m", "fast", "stop"]
        subprocess.run(as_server_user(stop), capture_output=True)
        primary.stop()


def query(url: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def test_a_backfill_pauses_while_the_replica_lags_and_goes_on_once_it_catches_up(
    replicated, tmp_path
):
    primary, standby = replicated
    engine = Engine(tmp_path, primary, {"AUDIFI_DB_ONLINE_MAX_REPLICA_LAG_SECONDS": "0.3"})
    engine.query(
        "create table t (id int primary key, v int); insert into t select generate_series(1, 30000);"
        # each batch takes a tenth of a second, the whole backfill three
        "create function slow() returns trigger language plpgsql as "
        "$$ begin perform pg_sleep(0.1); return null; end $$;"
        "create trigger slow before update on t for each statement execute function slow()"
    )
    engine.write(
        "20260101000001",
        "fill",
        'def migrate(ctx):\n    ctx.backfill("t", set="v = id", where="v IS NULL", batch_size=1000)\n',
        ".py",
    )
    done = "select count(*) from t where v is not null"
    seen = []  # rows done when the backfill paused, and 1.5 s later

    def hold_replay_while_paused():
        seen.append(engine.query(done)[0][0])
        time.sleep(1.5)
        seen.append(engine.query(done)[0][0])
        query(standby, "select pg_wal_replay_resume()")

    def on_event(event):
        if isinstance(event, events.StatementStarted):  # the backfill begins: replay stops
            query(standby, "select pg_wal_replay_pause()")
        if isinstance(event, events.BackfillPaused) and not threads:
            threads.append(threading.Thread(target=hold_replay_while_paused))
            threads[0].start()

    threads: list[threading.Thread] = []
    try:
        engine.deploy(on_event)
    finally:
        for thread in threads:
            thread.join()
        query(standby, "select pg_wal_replay_resume()")
    [paused] = engine.of(events.BackfillPaused)[:1]
    assert paused.replica == "audifi_standby" and paused.lag_seconds > 0.3
    assert paused.max_lag_seconds == 0.3 and paused.table == "t"
    assert 0 < seen[0] == seen[1] < 30000  # paused part-way; no batch while paused
    last = engine.of(events.BackfillProgress)[-1]
    assert last.done and last.rows == 30000 and last.paused_ms >= 1000
    assert engine.query("select count(*) from t where v = id") == [(30000,)]


def test_a_role_that_cannot_see_the_replicas_lag_is_told_so(replicated, tmp_path):
    """Without pg_read_all_stats the lag reads as none: the backfill says it cannot pause."""
    primary, _standby = replicated
    query(primary, "create role lag_blind login")
    query(primary, "create database lag_blind owner lag_blind")
    blind = primary.replace("postgres@", "lag_blind@").rsplit("/", 1)[0] + "/lag_blind"
    engine = Engine(tmp_path, blind, {"AUDIFI_DB_ONLINE_MAX_REPLICA_LAG_SECONDS": "5"})
    engine.query("create table t (id int primary key, v int); insert into t values (1)")
    engine.write(
        "20260101000001",
        "fill",
        'def migrate(ctx):\n    ctx.backfill("t", set="v = id", where="v IS NULL")\n',
        ".py",
    )
    engine.deploy()
    [unseen] = engine.of(events.ReplicaLagUnseen)
    assert (unseen.table, unseen.replicas, unseen.version) == ("t", 1, "20260101000001")
    assert engine.query("select v from t") == [(1,)]
