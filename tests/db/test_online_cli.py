"""The toolkit through the real CLI: a backfill killed with SIGKILL half-way, resumed by the
next deploy; what a person sees of lock timeouts and backfill progress."""

from __future__ import annotations

import psycopg2
from engine_helpers import kill, wait_for

SLOW_BACKFILL = """\
def migrate(ctx):
    ctx.backfill("t", set="hits = hits + 1, done = true", where="NOT done", batch_size=500)
"""


def test_a_backfill_killed_half_way_resumes_and_sets_every_row_exactly_once(project):
    project.query(
        "create table t (id int primary key, hits int not null default 0, done bool not null default false);"
        "insert into t (id) select generate_series(1, 20000);"
        # a batch takes a quarter of a second, the whole run ten
        "create function slow() returns trigger language plpgsql as "
        "$$ begin perform pg_sleep(0.25); return null; end $$;"
        "create trigger slow before update on t for each statement execute function slow()"
    )
    (project.migrations / "20260101000001_backfill_hits.py").write_text(SLOW_BACKFILL)
    runner = project.spawn("deploy")
    done = "select count(*) from t where done"
    wait_for(lambda: project.query(done)[0][0] >= 1000, what="two batches")
    kill(project, runner)
    [(finished,)] = project.query(done)
    assert 1000 <= finished < 20000
    assert project.query("select state from audifi_migrations") == [("in_progress",)]
    project.query("drop trigger slow on t")
    again = project.cli("deploy")
    assert again.returncode == 0, again.stderr
    assert "applied  20260101000001_backfill_hits" in again.stdout
    assert project.query("select count(*), min(hits), max(hits) from t") == [(20000, 1, 1)]
    assert project.query("select state from audifi_migrations order by id") == [
        ("in_progress",),
        ("applied",),
    ]


def test_a_person_sees_who_blocks_the_migration_and_the_backfills_progress(project):
    project.query(
        "create table t (id int primary key, v int); insert into t select generate_series(1, 3000)"
    )
    project.write("20260101000001", "add_w", "alter table t add column w int;\n")
    (project.migrations / "20260101000002_fill_v.py").write_text(
        'def migrate(ctx):\n    ctx.backfill("t", set="v = id", where="v IS NULL", batch_size=1000)\n'
    )
    blocker = psycopg2.connect(project.url, application_name="long report")
    try:
        blocker.cursor().execute("select count(*) from t")
        env = project.env(AUDIFI_DB_ONLINE_RETRY_DEADLINE_SECONDS="0.3")
        refused = project.cli("deploy", env=env)
    finally:
        blocker.close()
    assert refused.returncode == 1
    lines = refused.stderr.splitlines()
    assert any(
        "20260101000001: statement 1 (line 1) timed out waiting for a lock held by pid " in line
        and "application 'long report'" in line
        and "idle in transaction" in line
        for line in lines
    ), refused.stderr
    assert lines[-1].startswith("audifi-db: error: ") and "gave up waiting for locks" in lines[-1]
    assert "Traceback" not in refused.stderr
    applied = project.cli("deploy")
    assert applied.returncode == 0, applied.stderr
    progress = [line for line in applied.stderr.splitlines() if "backfill t" in line]
    assert progress == [
        "audifi-db: backfill t [########----------------]  33%  1,000 rows in 1 batch, "
        + progress[0].rsplit(", ", 1)[1],
        "audifi-db: backfill t [################--------]  67%  2,000 rows in 2 batches, "
        + progress[1].rsplit(", ", 1)[1],
        "audifi-db: backfill t [########################] 100%  3,000 rows in 3 batches, done",
    ]
    assert "applied  20260101000002_fill_v" in applied.stdout


def test_the_linter_skips_python_migrations_and_dev_applies_them(project):
    project.write("20260101000001", "t", "create table t (id int primary key, v int);\n")
    fill = project.migrations / "20260101000002_fill.py"
    fill.write_text('def migrate(ctx):\n    ctx.backfill("t", set="v = 1", where="v IS NULL")\n')
    linted = project.cli("lint", str(fill), url=None)
    assert linted.returncode == 0, linted.stderr
    assert "20260101000002_fill.py: not linted: a Python migration" in linted.stderr
    dev = project.cli("dev")  # lints what is pending (the SQL), then applies it all
    assert dev.returncode == 0, dev.stderr
    assert project.query("select state from audifi_migrations order by version") == [
        ("applied",),
        ("applied",),
    ]
