"""Python migrations in-process: `migrate(ctx)` with ctx.execute and ctx.backfill, recorded
like the SQL ones, run again from the start after a failure or a lost connection."""

from __future__ import annotations

import hashlib

import psycopg2
import pytest
from engine_helpers import Engine

from audifi_db import events
from audifi_db.errors import ConnectError, MigrationFailedError, MigrationFileError

BACKFILL = """\
def migrate(ctx):
    ctx.execute("ALTER TABLE t ADD COLUMN IF NOT EXISTS done boolean NOT NULL DEFAULT false")
    ctx.backfill("t", set="hits = hits + 1, done = true", where="NOT done", batch_size=BATCH)
"""


@pytest.fixture
def engine(tmp_path, db_url) -> Engine:
    engine = Engine(tmp_path, db_url)
    engine.query(
        "create table t (id bigint primary key, hits int not null default 0);"
        "insert into t (id) select g * 3 from generate_series(1, 2500) g"  # keys with gaps
    )
    return engine


def test_a_python_migration_backfills_in_batches_and_is_recorded(engine):
    engine.write("20260101000001", "backfill", "BATCH = 1000\n" + BACKFILL, ".py")
    engine.deploy()
    assert engine.query("select count(*), min(hits), max(hits), bool_and(done) from t") == [
        (2500, 1, 1, True)
    ]
    progress = engine.of(events.BackfillProgress)
    assert [(p.rows, p.batches, p.done) for p in progress] == [
        (1000, 1, False),
        (2000, 2, False),
        (2500, 3, False),
        (2500, 3, True),
    ]
    assert progress[0].fraction == pytest.approx((3000 - 3) / (7500 - 3), abs=1e-3)
    finished = engine.of(events.StatementFinished)
    assert [(f.statement, f.line, f.rows_affected) for f in finished] == [
        (1, 3, None),
        (2, 4, 2500),
    ]
    text = (engine.folder / "20260101000001_backfill.py").read_bytes()
    assert engine.query(
        "select state, transactional, checksum, statements_applied, statements_total, "
        "rows_affected from audifi_migrations"
    ) == [("applied", False, hashlib.sha256(text).hexdigest(), 1, 1, 2500)]
    engine.deploy()  # applied once: nothing to do
    assert engine.query("select max(hits) from t") == [(1,)]


def test_a_lost_connection_mid_backfill_reruns_from_the_start_setting_each_row_once(engine):
    engine.write("20260101000001", "backfill", "BATCH = 500\n" + BACKFILL, ".py")

    def kill_after_two_batches(event):
        if isinstance(event, events.BackfillProgress) and event.batches == 2:
            engine.query(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = current_database() and application_name like 'audifi-db (%%'"
            )

    with pytest.raises(ConnectError):
        engine.deploy(kill_after_two_batches)
    assert engine.query("select count(*) filter (where done), max(hits) from t") == [(1000, 1)]
    assert engine.query("select state from audifi_migrations") == [("in_progress",)]
    engine.deploy()  # no resolve: a Python migration runs again from the start
    assert engine.query("select count(*), min(hits), max(hits) from t") == [(2500, 1, 1)]
    assert engine.query("select state from audifi_migrations order by id") == [
        ("in_progress",),
        ("applied",),
    ]


def test_a_failing_migration_is_recorded_at_its_line_and_runs_again_once_fixed(engine):
    path = engine.folder / "20260101000001_broken.py"
    engine.write(
        "20260101000001",
        "broken",
        'def migrate(ctx):\n    ctx.execute("CREATE TABLE IF NOT EXISTS made (id int)")\n'
        "    total = missing_name + 1\n",
        ".py",
    )
    with pytest.raises(MigrationFailedError) as failed:
        engine.deploy()
    assert failed.value.message.endswith(
        "20260101000001_broken.py:3: migration 20260101000001 failed at migrate(ctx): "
        "NameError: name 'missing_name' is not defined"
    )
    assert "runs again from the start" in failed.value.hint
    assert engine.query("select state, failed_line, error from audifi_migrations") == [
        ("failed", 3, "NameError: name 'missing_name' is not defined")
    ]
    path.write_text(path.read_text().replace("missing_name", "1"))
    engine.deploy()
    assert engine.query("select state from audifi_migrations order by id desc limit 1") == [
        ("applied",)
    ]


def test_a_server_error_in_a_python_migration_names_its_line_and_sql(engine):
    engine.write(
        "20260101000001",
        "bad_sql",
        'def migrate(ctx):\n    ctx.execute("ALTER TABLE t ADD COLUMN x int")\n'
        '    ctx.execute("ALTER TABLE nowhere ADD COLUMN x int")\n',
        ".py",
    )
    with pytest.raises(MigrationFailedError, match=r"_bad_sql.py:3: .*nowhere.*42P01"):
        engine.deploy()
    assert engine.query("select failed_statement, sqlstate from audifi_migrations") == [
        ("ALTER TABLE nowhere ADD COLUMN x int", "42P01")
    ]


def test_a_backfill_blocked_by_a_row_lock_reruns_after_the_pause(engine):
    engine.query("alter table t add column done boolean not null default false")
    engine.write(
        "20260101000001",
        "backfill",
        'def migrate(ctx):\n    ctx.backfill("t", set="hits = hits + 1, done = true", '
        'where="NOT done", batch_size=1000)\n',
        ".py",
    )
    holder = psycopg2.connect(engine.url, application_name="busy writer")
    holder.cursor().execute("update t set hits = hits where id = 4500")  # in batch 2

    def release(event):
        if isinstance(event, events.LockTimedOut) and event.attempt == 2:
            holder.rollback()

    try:
        engine.deploy(release)
    finally:
        holder.close()
    timeout = engine.of(events.LockTimedOut)[0]
    assert timeout.blockers[0]["application"] == "busy writer" and timeout.line == 2
    assert [r.from_statement for r in engine.of(events.LockRetry)] == [1, 1]
    assert engine.query("select min(hits), max(hits) from t") == [(1, 1)]


def test_ctx_backfill_needs_a_single_column_key(engine):
    engine.query("create table keyless (v int)")
    engine.write(
        "20260101000001",
        "keyless",
        'def migrate(ctx):\n    ctx.backfill("keyless", set="v = 1", where="v IS NULL")\n',
        ".py",
    )
    with pytest.raises(
        MigrationFailedError, match=r"_keyless.py:2: .*keyless has no single-column"
    ):
        engine.deploy()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("def migrate(ctx):\n    ctx.execute('x'\n", r"_m.py:2:\d+: '\(' was never closed"),
        ("def run(ctx):\n    pass\n", r"_m.py: no `def migrate\(ctx\):` at the top level"),
        ("def migrate():\n    pass\n", r"_m.py:1: migrate must take one argument, ctx"),
    ],
)
def test_a_python_migration_that_cannot_run_is_refused_before_anything_runs(engine, text, error):
    engine.write("20260101000001", "a", "create table a (id int);\n")
    engine.write("20260101000002", "m", text, ".py")
    with pytest.raises(MigrationFileError, match=error):
        engine.deploy()
    assert engine.query("select to_regclass('a')") == [(None,)]


def test_ctx_execute_takes_parameters_and_a_backfill_without_them_keeps_its_percent_signs(engine):
    engine.write(
        "20260101000001",
        "params",
        "def migrate(ctx):\n"
        '    assert ctx.execute("UPDATE t SET hits = %s WHERE id <= %s", (5, 30)) == 10\n'
        '    ctx.backfill("t", set="hits = 7", where="id % 2 = 0 AND hits = 0", batch_size=100)\n',
        ".py",
    )
    engine.deploy()
    assert engine.query("select hits, count(*) from t group by 1 order by 1") == [
        (0, 1245),  # odd ids above 30
        (5, 10),
        (7, 1245),  # even ids above 30
    ]
