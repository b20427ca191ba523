"""Bounded lock waits against the real server: a session holding a lock makes the
migration's statement time out, the runner names it and retries, and gives up at the
deadline with nothing half-applied."""

from __future__ import annotations

import json

import psycopg2
import pytest
from clusters import Cluster
from engine_helpers import Engine, wait_for

from audifi_db import events
from audifi_db.errors import LockDeadlineError


@pytest.fixture
def engine(tmp_path, db_url) -> Engine:
    engine = Engine(tmp_path, db_url, {"AUDIFI_DB_ONLINE_RETRY_DEADLINE_SECONDS": "60"})
    engine.query(
        "create table t (id int primary key); insert into t select generate_series(1, 100)"
    )
    return engine


@pytest.fixture
def blocker(engine):
    """A session in an open transaction that has read t: it holds ACCESS SHARE on t."""
    conn = psycopg2.connect(engine.url, application_name="report query")
    conn.cursor().execute("select count(*) from t")
    yield conn
    conn.close()


def deploy_past_the_deadline(engine: Engine) -> tuple[LockDeadlineError, int]:
    """Deploy while a session that read t stays in its transaction: the run gives up. The
    error, and the blocking session's pid."""
    blocker = psycopg2.connect(engine.url, application_name="report query")
    try:
        blocker.cursor().execute("select count(*) from t")
        with pytest.raises(LockDeadlineError) as failed:
            engine.deploy()
        return failed.value, blocker.get_backend_pid()
    finally:
        blocker.close()


def end_after(conn, timeouts: int):
    """A listener ending `conn`'s transaction once the runner has timed out `timeouts` times."""

    def on_event(event):
        if isinstance(event, events.LockTimedOut) and event.attempt == timeouts:
            conn.rollback()

    return on_event


def test_a_blocked_migration_names_the_blocker_retries_and_applies(engine, blocker):
    engine.write(
        "20260101000001", "add_c", "create table side (id int);\nalter table t add column c int;\n"
    )
    engine.deploy(end_after(blocker, 2))
    timeouts = engine.of(events.LockTimedOut)
    assert [t.attempt for t in timeouts] == [1, 2]
    for timeout in timeouts:
        assert (timeout.statement, timeout.line) == (2, 2)
        [who] = timeout.blockers
        assert who["pid"] == blocker.get_backend_pid()
        assert who["application"] == "report query" and who["state"] == "idle in transaction"
        assert who["user"] == "postgres" and who["xact_start"] is not None
        assert timeout.retry_in_ms is not None and timeout.retry_in_ms <= 800
    assert [(r.attempt, r.from_statement) for r in engine.of(events.LockRetry)] == [(2, 1), (3, 1)]
    assert engine.names()[-2:] == ["migration_applied", "run_finished"]
    assert engine.query("select count(c) = 0, to_regclass('side') is not null from t") == [
        (True, True)
    ]
    assert engine.query("select state, sqlstate from audifi_migrations") == [("applied", None)]


def test_the_deadline_fails_clearly_with_nothing_half_applied(tmp_path, db_url):
    engine = Engine(tmp_path, db_url, {"AUDIFI_DB_ONLINE_RETRY_DEADLINE_SECONDS": "1"})
    engine.query("create table t (id int primary key)")
    engine.write(
        "20260101000001", "add_c", "create table side (id int);\nalter table t add column c int;\n"
    )
    failed, pid = deploy_past_the_deadline(engine)
    message = failed.message
    attempts = len(engine.of(events.LockTimedOut))
    assert attempts >= 2
    assert (
        "20260101000001_add_c.sql:2: migration 20260101000001 gave up waiting for locks after "
        f"{attempts} attempt(s): statement 2 was last blocked by pid {pid} "
    ) in message
    assert f"pid {pid} (user postgres, application 'report query'" in message
    assert "nothing of it was applied" in failed.hint
    assert engine.of(events.LockTimedOut)[-1].retry_in_ms is None
    assert engine.of(events.RunFailed)[0].error == "LockDeadlineError"
    assert engine.query(
        "select to_regclass('side'), count(*) from pg_attribute where attname = 'c' and attrelid = 't'::regclass"
    ) == [(None, 0)]
    assert engine.query("select state, sqlstate, failed_line from audifi_migrations") == [
        ("failed", "55P03", 2)
    ]
    engine.deploy()  # the blocker is gone: the next deploy applies it whole
    assert engine.query("select to_regclass('side') is not null") == [(True,)]


def test_a_no_transaction_migration_resumes_at_the_blocked_statement(tmp_path, db_url):
    engine = Engine(tmp_path, db_url, {"AUDIFI_DB_ONLINE_RETRY_DEADLINE_SECONDS": "0.5"})
    engine.query(
        "create table t (id int primary key); create table counter (n int); insert into counter values (0)"
    )
    engine.write(
        "20260101000001",
        "two",
        "-- audifi-db: no-transaction\nupdate counter set n = n + 1;\nalter table t add column c int;\n",
    )
    failed, _ = deploy_past_the_deadline(engine)
    assert "statements 1-1 stayed applied" in failed.hint
    retries = engine.of(events.LockRetry)
    assert retries and {r.from_statement for r in retries} == {2}  # not statement 1 again
    assert engine.query("select n from counter") == [(1,)]
    engine.deploy()  # no resolve needed: the blocked statement did nothing
    assert engine.query("select n from counter") == [(1,)]  # statement 1 is not run again
    assert engine.query(
        "select count(*) from pg_attribute where attname = 'c' and attrelid = 't'::regclass"
    ) == [(1,)]
    assert engine.of(events.MigrationStarted)[-1].start == 1


def test_a_concurrent_index_build_cancelled_by_lock_timeout_is_healed_and_retried(engine):
    writer = psycopg2.connect(engine.url, application_name="open writer")
    writer.cursor().execute("insert into t values (1000)")  # holds ROW EXCLUSIVE on t
    engine.write(
        "20260101000001",
        "idx",
        "-- audifi-db: no-transaction\ncreate index concurrently t_id2_idx on t ((id * 2));\n",
    )
    try:
        engine.deploy(end_after(writer, 2))
    finally:
        writer.close()
    assert engine.of(events.LockTimedOut)[0].blockers[0]["application"] == "open writer"
    assert [h.dropped for h in engine.of(events.IndexHealed)] == [True]
    assert engine.query(
        "select indisvalid from pg_index where indexrelid = 't_id2_idx'::regclass"
    ) == [(True,)]
    assert engine.query("select state from audifi_migrations") == [("applied",)]


def test_a_migrations_own_lock_timeout_holds_for_it_and_the_next_starts_afresh(engine, blocker):
    engine.query("create table other (id int)")
    holder = psycopg2.connect(engine.url, application_name="other reader")
    holder.cursor().execute("select count(*) from other")
    engine.write(
        "20260101000001",
        "patient",
        "SET lock_timeout = '1s';\nalter table other add column a int;\n",
    )
    engine.write("20260101000002", "brief", "alter table t add column b int;\n")

    def end_blockers(event):
        if isinstance(event, events.LockTimedOut):
            (holder if event.version.endswith("1") else blocker).rollback()

    try:
        engine.deploy(end_blockers)
    finally:
        holder.close()
    patient, brief = engine.of(events.LockTimedOut)
    assert (patient.version, brief.version) == ("20260101000001", "20260101000002")
    assert patient.attempt_ms >= 900 and brief.attempt_ms < 900  # 1 s, then 200 ms again


def test_a_migration_waiting_behind_autovacuum_cancels_it_as_any_waiter_would(tmp_path):
    cluster = Cluster(settings={"autovacuum_naptime": "1"}).start()
    try:
        engine = Engine(tmp_path, cluster.url(), {"AUDIFI_DB_ONLINE_RETRY_DEADLINE_SECONDS": "20"})
        engine.query(
            "create table t (id int primary key, v int) with (autovacuum_vacuum_threshold = 0,"
            " autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_cost_delay = 100,"
            " autovacuum_vacuum_cost_limit = 1);"  # a vacuum of t crawls: a page per 0.1 s
            "insert into t select g, 0 from generate_series(1, 100000) g"
        )
        engine.query("update t set v = 1")  # dead rows: autovacuum comes within seconds
        vacuuming = (
            "select count(*) from pg_stat_activity where backend_type = 'autovacuum worker' "
            "and query like 'autovacuum: VACUUM%%public.t%%'"
        )
        wait_for(lambda: engine.query(vacuuming) == [(1,)], 60, "autovacuum on t")
        engine.write("20260101000001", "add_c", "alter table t add column c int;\n")
        engine.deploy()  # without cancelling it: 200 ms timeouts until the 20 s deadline
    finally:
        cluster.stop()
    assert engine.names()[-2:] == ["migration_applied", "run_finished"]
    assert engine.of(events.LockTimedOut) == []  # the wait cancelled it within 100 ms


PY_ADD_C = 'def migrate(ctx):\n    ctx.execute("ALTER TABLE t ADD COLUMN IF NOT EXISTS c int")\n'
PY_INDEX = 'def migrate(ctx):\n    ctx.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS t_v_idx ON t (v)")\n'


def test_a_python_migrations_concurrent_index_cancelled_by_lock_timeout_is_healed(engine):
    engine.query("alter table t add column v int")
    writer = psycopg2.connect(engine.url, application_name="open writer")
    writer.cursor().execute("insert into t values (1000)")  # holds ROW EXCLUSIVE on t
    engine.write("20260101000001", "idx", PY_INDEX, ".py")
    try:
        engine.deploy(end_after(writer, 1))
    finally:
        writer.close()
    assert engine.query(
        "select indisvalid from pg_index where indexrelid = 't_v_idx'::regclass"
    ) == [(True,)]
    assert [h.dropped for h in engine.of(events.IndexHealed)] == [True]
    assert engine.query("select state from audifi_migrations order by id desc limit 1") == [
        ("applied",)
    ]


@pytest.mark.parametrize(
    "migration",
    [
        PY_INDEX,
        'def migrate(ctx):\n    ctx.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS t_v_idx '
        'ON t (v) WHERE v > %s", (0,))\n',
    ],
    ids=["literal", "with-params"],
)
def test_a_python_migrations_invalid_index_is_healed_by_the_next_deploy(
    tmp_path, db_url, migration
):
    engine = Engine(tmp_path, db_url, {"AUDIFI_DB_ONLINE_RETRY_DEADLINE_SECONDS": "0"})
    engine.query("create table t (id int primary key, v int)")
    engine.write("20260101000001", "idx", migration, ".py")
    writer = psycopg2.connect(engine.url, application_name="open writer")
    try:
        writer.cursor().execute("insert into t values (1)")
        with pytest.raises(LockDeadlineError):
            engine.deploy()  # no retry: the cancelled build's INVALID index stays
    finally:
        writer.close()
    valid = "select indisvalid from pg_index where indexrelid = 't_v_idx'::regclass"
    assert engine.query(valid) == [(False,)]
    engine.deploy()
    assert engine.query(valid) == [(True,)]
    assert [h.dropped for h in engine.of(events.IndexHealed)] == [True]


def test_a_python_migration_retried_after_lock_timeouts_keeps_one_history_row(
    engine, blocker, project
):
    engine.write("20260101000001", "add_c", PY_ADD_C, ".py")
    engine.deploy(end_after(blocker, 2))
    assert [t.attempt for t in engine.of(events.LockTimedOut)] == [1, 2]
    assert engine.query("select state, statements_applied from audifi_migrations") == [
        ("applied", 1)
    ]
    # the row spans every attempt: its duration is finished_at - started_at, not the last one's
    [(duration, span)] = engine.query(
        "select duration_ms, extract(epoch from finished_at - started_at) * 1000 "
        "from audifi_migrations"
    )
    assert abs(duration - float(span)) <= 1 and duration >= sum(
        t.attempt_ms for t in engine.of(events.LockTimedOut)
    )
    listed = project.cli("history", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(row["version"], row["state"]) for row in json.loads(listed.stdout)] == [
        ("20260101000001", "applied")
    ]


def test_a_python_migration_that_gives_up_on_locks_leaves_one_failed_row(tmp_path, db_url):
    engine = Engine(tmp_path, db_url, {"AUDIFI_DB_ONLINE_RETRY_DEADLINE_SECONDS": "1"})
    engine.query("create table t (id int primary key)")
    engine.write("20260101000001", "add_c", PY_ADD_C, ".py")
    deploy_past_the_deadline(engine)
    assert len(engine.of(events.LockTimedOut)) >= 2
    assert engine.query("select state, sqlstate from audifi_migrations") == [("failed", "55P03")]
