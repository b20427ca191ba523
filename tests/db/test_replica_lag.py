"""Replica-lag throttling against a real streaming replica: a primary and a standby this
test starts on loopback (`pg_basebackup` from the primary), replay paused on the standby
until the backfill has paused for it."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import psycopg2
import pytest
from engine_helpers import Engine, wait_for
from servers import Server

from audifi_db import events


@pytest.fixture(scope="module")
def replicated():
    """(primary, standby) streaming on loopback; the standby reports every second."""
    root = Path(tempfile.mkdtemp(prefix="audifi-replica-"))
    root.chmod(0o777)
    primary, standby = Server(root, "primary"), Server(root, "standby")
    try:
        primary.run("initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust")
        primary.start()
        primary.run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(standby.data),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
        )
        standby.configure(cluster_name="audifi_standby", wal_receiver_status_interval="1s")
        standby.start()
        streaming = "select count(*) from pg_stat_replication where state = 'streaming'"
        wait_for(lambda: query(primary.url(), streaming) == [(1,)], what="the standby to stream")
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


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
    engine = Engine(tmp_path, primary.url(), {"AUDIFI_DB_ONLINE_MAX_REPLICA_LAG_SECONDS": "0.3"})
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
        query(standby.url(), "select pg_wal_replay_resume()")

    def on_event(event):
        if isinstance(event, events.StatementStarted):  # the backfill begins: replay stops
            query(standby.url(), "select pg_wal_replay_pause()")
        if isinstance(event, events.BackfillPaused) and not threads:
            threads.append(threading.Thread(target=hold_replay_while_paused))
            threads[0].start()

    threads: list[threading.Thread] = []
    try:
        engine.deploy(on_event)
    finally:
        for thread in threads:
            thread.join()
        query(standby.url(), "select pg_wal_replay_resume()")
    [paused] = engine.of(events.BackfillPaused)[:1]
    assert paused.replica == "audifi_standby" and paused.lag_seconds > 0.3
    assert paused.max_lag_seconds == 0.3 and paused.table == "t"
    assert 0 < seen[0] == seen[1] < 30000  # paused part-way; no batch while paused
    last = engine.of(events.BackfillProgress)[-1]
    assert last.done and last.rows == 30000 and last.paused_ms >= 1000
    assert engine.query("select count(*) from t where v = id") == [(30000,)]
