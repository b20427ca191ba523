"""Two runners at once, a lock held too long, and a runner killed mid-migration."""

import os
import signal

import psycopg2
import pytest
from engine_helpers import kill, wait_for

from audifi_db.postgres.lock import lock_key

LOG = "create table if not exists applied_log (version text);\n"


def deploy_blocked_at(project, statement: str):
    """A `deploy` subprocess, once its session waits on a lock in `statement`."""
    runner = project.spawn("deploy")
    blocked = (
        "select count(*) from pg_stat_activity where datname = current_database() "
        "and query like %s and wait_event_type = 'Lock'"
    )
    wait_for(lambda: project.query(blocked, (statement + "%",)) == [(1,)], what="a blocked runner")
    return runner


def test_four_deploys_at_once_apply_each_migration_exactly_once(project):
    project.write("20260101000000", "log", LOG)
    versions = [f"202601010001{i:02d}" for i in range(12)]
    for version in versions:
        project.write(
            version,
            f"m{version[-2:]}",
            f"create table t{version} (id int);\ninsert into applied_log values ('{version}');\n",
        )
    runners = [project.spawn("deploy") for _ in range(4)]
    results = [(r.wait(timeout=120), r.stderr.read()) for r in runners]
    assert all(code == 0 for code, _ in results), results
    assert project.query("select version, count(*) from applied_log group by 1 order by 1") == [
        (v, 1) for v in versions
    ]
    applied = project.query(
        "select version, count(*) from audifi_migrations where state = 'applied' group by 1"
    )
    assert sorted(applied) == [(v, 1) for v in ["20260101000000", *versions]]


def test_lock_timeout_names_the_holder(project):
    project.write("20260101000000", "log", LOG)
    holder = psycopg2.connect(project.url, application_name="on-call shell")
    holder.autocommit = True
    try:
        with holder.cursor() as cur:
            cur.execute("select pg_advisory_lock(%s)", (lock_key("public", "audifi_migrations"),))
        result = project.cli("deploy", env=project.env(AUDIFI_DB_LOCK_WAIT_SECONDS="1"))
    finally:
        holder.close()
    assert result.returncode == 1
    assert "holds the migration lock" in result.stderr
    assert "pid" in result.stderr and "on-call shell" in result.stderr
    assert project.query("select to_regclass('applied_log')") == [(None,)]


def test_sigkill_mid_migration_leaves_nothing_and_next_deploy_finishes(project):
    project.write("20260101000000", "log", LOG)
    project.write(
        "20260101000001",
        "slow",
        "create table slow (id int);\nselect pg_advisory_xact_lock(4242);\n"
        "insert into applied_log values ('20260101000001');\n",
    )
    with project.holding(4242):
        # the server notices the dead client and rolls its transaction back, releasing its locks
        kill(project, deploy_blocked_at(project, "select pg_advisory_xact_lock(4242)"))
    assert project.query("select to_regclass('slow')") == [(None,)]
    assert [r[:2] for r in project.history()] == [("20260101000000", "applied")]
    again = project.cli("deploy")
    assert again.returncode == 0, again.stderr
    assert project.query("select version from applied_log") == [("20260101000001",)]
    assert [r[:2] for r in project.history()][-1] == ("20260101000001", "applied")


def test_sigkill_mid_no_transaction_migration_leaves_in_progress_until_resolved(project):
    project.write(
        "20260101000001",
        "online",
        "-- audifi-db: no-transaction\ncreate table if not exists online (id int);\n"
        "select pg_advisory_lock(4243);\nselect pg_advisory_unlock(4243);\n",
    )
    with project.holding(4243):
        kill(project, deploy_blocked_at(project, "select pg_advisory_lock(4243)"))
    assert project.history() == [("20260101000001", "in_progress", 1, 3, None, None)]
    refused = project.cli("deploy")
    assert refused.returncode == 1 and "in_progress" in refused.stderr
    assert "resolve 20260101000001" in refused.stderr
    assert project.cli("resolve", "20260101000001", "--rolled-back").returncode == 0
    again = project.cli("deploy")
    assert again.returncode == 0, again.stderr
    assert [r[1] for r in project.history()] == ["in_progress", "rolled_back", "applied"]


def test_a_lost_lock_stops_the_run_between_migrations(project):
    project.write(
        "20260101000001",
        "first",
        "create table first (id int);\nselect pg_advisory_xact_lock(4244);\n",
    )
    project.write("20260101000002", "second", "create table second (id int);\n")
    with project.holding(4244):
        runner = deploy_blocked_at(project, "select pg_advisory_xact_lock(4244)")
        project.query(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = current_database() and application_name like 'audifi-db lock%%'"
        )
    runner.wait(timeout=60)
    assert runner.returncode == 1
    assert "lost the migration lock" in runner.stderr.read()
    assert project.query("select to_regclass('first') is not null, to_regclass('second')") == [
        (True, None)
    ]
    assert project.cli("deploy").returncode == 0
    assert project.query("select to_regclass('second') is not null") == [(True,)]


def test_an_index_built_before_the_history_said_so_is_skipped(project):
    from audifi_db.discovery import read_migration

    project.write("20260101000000", "t", "create table t (a int);\n")
    assert project.cli("deploy").returncode == 0
    path = project.write(
        "20260101000001",
        "idx",
        "-- audifi-db: no-transaction\ncreate index concurrently if not exists t_a on t (a);\n",
    )
    # a runner built the index, then died before recording that statement
    project.query("create index t_a on t (a)")
    project.query(
        "insert into audifi_migrations (version, name, checksum, state, transactional, "
        "statements_applied, statements_total) values (%s, 'idx', %s, 'in_progress', false, 0, 1)",
        ("20260101000001", read_migration(path).checksum),
    )
    result = project.cli("deploy")
    assert result.returncode == 0, result.stderr
    assert "built after all" in result.stderr
    assert project.history()[-1][:4] == ("20260101000001", "applied", 1, 1)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_cancels_the_running_statement_and_records_the_failure(project, signum):
    project.write("20260101000001", "slow", "create table slow (id int);\nselect pg_sleep(60);\n")
    runner = project.spawn("deploy")
    sleeping = (
        "select count(*) from pg_stat_activity where datname = current_database() "
        "and query like 'select pg_sleep(60)%%' and state = 'active'"
    )
    wait_for(lambda: project.query(sleeping) == [(1,)], what="the statement to run")
    os.kill(runner.pid, signum)
    runner.wait(timeout=20)  # well before the 60 s statement would end
    assert runner.returncode == 130  # interrupted, as the README's exit codes say
    stderr = runner.stderr.read()
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert project.query("select to_regclass('slow')") == [(None,)]
    assert [r[:2] for r in project.history()] == [("20260101000001", "failed")]
