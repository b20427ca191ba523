"""The toolkit's pure parts: [online] settings, the retry schedule, a backfill batch's SQL,
Python migrations found and planned. No server."""

from __future__ import annotations

import pytest
from test_planning import parsed, row

from audifi_db.config import load_settings
from audifi_db.discovery import discover
from audifi_db.errors import ConfigError, MigrationFileError
from audifi_db.model import BlockingSession, Directive, Migration, State
from audifi_db.online import MAX_DELAY_SECONDS, Backoff, backfill_batch, session_settings
from audifi_db.planning import plan_deploy, python_entry, statements_of, statuses
from audifi_db.sql import parse

A = "20260101000001"


def online(tmp_path, toml="", env="local", **environ):
    (tmp_path / "audifi-db.toml").write_text(toml)
    urls = {
        "STAGING_DATABASE_URL": "postgresql://h/s",
        "PRODUCTION_DATABASE_URL": "postgresql://h/p",
    }
    return load_settings(env, None, cwd=tmp_path, environ={**urls, **environ}).online


def test_online_defaults_and_per_environment_overrides(tmp_path):
    assert (lambda s: (s.lock_timeout_ms, s.statement_timeout_ms, s.retry_deadline_seconds))(
        online(tmp_path)
    ) == (200, 0, 300.0)
    toml = (
        "[online]\nlock_timeout_ms = 500\n[environments.production.online]\nlock_timeout_ms = 100\n"
    )
    assert online(tmp_path, toml).lock_timeout_ms == 500
    assert online(tmp_path, toml, "production").lock_timeout_ms == 100
    assert online(tmp_path, toml, AUDIFI_DB_ONLINE_LOCK_TIMEOUT_MS="50").lock_timeout_ms == 50
    replica = online(tmp_path, AUDIFI_DB_ONLINE_MAX_REPLICA_LAG_SECONDS="2.5")
    assert replica.max_replica_lag_seconds == 2.5


@pytest.mark.parametrize(
    "toml, message",
    [
        ("[online]\nlock_timeout_ms = -1\n", r"\[online\] lock_timeout_ms = -1 must be 0 or more"),
        ("[online]\nlock_timeout_ms = '2s'\n", "lock_timeout_ms = '2s' has the wrong type"),
        ("[online]\nretry_deadline_seconds = -5\n", "retry_deadline_seconds = -5.0 must be"),
        ("[online]\nlock_timeout = 200\n", r"unknown key 'lock_timeout' in \[online\]"),
    ],
)
def test_bad_online_settings_name_the_key(tmp_path, toml, message):
    with pytest.raises(ConfigError, match=message):
        online(tmp_path, toml)


def test_backoff_doubles_with_jitter_never_past_the_cap_or_the_deadline():
    low = Backoff(300, now=0.0, rand=lambda: 0.0)
    assert [low.next_delay(0.0) for _ in range(5)] == [0.05, 0.1, 0.2, 0.4, 0.4]
    high = Backoff(300, now=0.0, rand=lambda: 1.0)
    assert [high.next_delay(0.0) for _ in range(5)] == [0.1, 0.2, 0.4, 0.8, MAX_DELAY_SECONDS]
    near = Backoff(10, now=0.0, rand=lambda: 1.0)
    assert near.next_delay(9.95) == pytest.approx(0.05)  # not past the deadline
    assert near.next_delay(10.0) is None and near.retries == 1


def test_a_backfill_batch_is_one_statement_that_parses():
    first = backfill_batch("public.t", "id", "v = id * 2", "v IS NULL", first=True)
    later = backfill_batch("public.t", "id", "v = id * 2", "v IS NULL", first=False)
    assert "%(_audifi_after)s" not in first
    assert "WHERE id > %(_audifi_after)s AND id <= (SELECT hi FROM bounds) AND (v IS NULL)" in later
    for sql in (first, later):
        literal = sql.replace("%(_audifi_after)s", "1").replace("%(_audifi_batch)s", "10")
        [statement] = parse(literal)
        assert statement.node_type == "SelectStmt"
        assert "UPDATE public.t SET v = id * 2" in sql and "OFFSET %(_audifi_batch)s - 1" in sql


def test_python_migrations_are_found_beside_sql_ones_and_never_transactional(tmp_path):
    folder = tmp_path / "db" / "migrations"
    folder.mkdir(parents=True)
    (folder / f"{A}_add.sql").write_text("create table t (id int);\n")
    (folder / "20260101000002_fill.py").write_bytes(b"def migrate(ctx):\r\n    pass\r\n")
    sql, py = discover(folder)
    assert (py.version, py.name, py.is_python, py.transactional) == (
        "20260101000002",
        "fill",
        True,
        False,
    )
    assert py.sql == "def migrate(ctx):\n    pass\n" and not sql.is_python
    [entry] = statements_of(py)
    assert (entry.text, entry.line, entry.kind) == ("migrate(ctx)", 1, "PythonMigration")


def python(text="def migrate(ctx):\n    pass\n", checksum="sum-py"):
    return Migration(A, "fill", f"db/migrations/{A}_fill.py", checksum, text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("import os\n\nasync def migrate(ctx):\n    pass\n", "no `def migrate"),
        ("def migrate(ctx, more):\n    pass\n", ":1: migrate must take one argument"),
        ("def migrate(ctx):\n  if:\n", ":2:5: invalid syntax"),
    ],
)
def test_a_python_migration_without_a_usable_migrate_is_refused(text, message):
    with pytest.raises(MigrationFileError, match=message):
        python_entry(python(text))


@pytest.mark.parametrize("state", ["failed", "in_progress"])
def test_an_interrupted_or_failed_python_migration_runs_again_from_the_start(state):
    migration = python(checksum="edited")  # fixed since: still run again, from the start
    history = [row(1, A, state, transactional=False, applied=0)]
    plan = plan_deploy(statuses([migration], history), {A: statements_of(migration)})
    assert plan.blockers == ()
    [step] = plan.steps
    assert (step.start, step.heal_index, step.retry_of.state) == (0, None, State(state))


def test_a_no_transaction_migration_stopped_by_a_lock_timeout_resumes_at_that_statement():
    sql = "update counter set n = n + 1;\nalter table t add column c int;\n"
    migration = Migration(
        A, "two", f"db/migrations/{A}_two.sql", f"sum-{A}", sql, (Directive(1, "no-transaction"),)
    )
    blocked = row(1, A, "failed", transactional=False, applied=1, total=2)._replace(
        sqlstate="55P03"
    )
    plan = plan_deploy(statuses([migration], [blocked]), {A: parsed(sql)})
    assert plan.blockers == () and [(s.start, s.heal_index) for s in plan.steps] == [(1, None)]
    other = blocked._replace(sqlstate="42P01")  # any other failure waits for a human
    plan = plan_deploy(statuses([migration], [other]), {A: parsed(sql)})
    assert [b.kind for b in plan.blockers] == ["unresolved"] and plan.steps == ()


def test_the_session_waits_check_for_deadlocks_before_their_lock_timeout(tmp_path):
    required, optional = session_settings(online(tmp_path))
    assert required == {"lock_timeout": 200, "statement_timeout": 0}
    assert optional == {"deadlock_timeout": 100}  # cancels an autovacuum in the way in time
    assert session_settings(online(tmp_path, AUDIFI_DB_ONLINE_LOCK_TIMEOUT_MS="0"))[1] == {}


def test_a_blocker_that_is_not_a_client_says_what_it_is():
    vacuum = BlockingSession(77, state="active", backend="autovacuum worker")
    assert vacuum.describe() == "pid 77 (autovacuum worker, active)"
    client = BlockingSession(78, user="app", application="api", backend="client backend")
    assert client.describe() == "pid 78 (user app, application 'api')"
