"""Webhook alerts, delivered to real HTTP servers on loopback by the real CLI."""

from __future__ import annotations

import time

import psycopg2
import pytest
from observe_fixtures import webhook_factory_fixture, webhook_fixture  # noqa: F401
from observe_helpers import closed_port, timed, wait_for

from audifi_db import events
from audifi_db.config_sections import AlertsSettings
from audifi_db.fanout import Fanout
from audifi_db.observe.alerts import Alerts
from audifi_db.postgres.lock import lock_key

FAILING = "CREATE TABLE t (id int);\nINSERT INTO t VALUES ('not a number');\n"


def alerting(project, *urls: str, **extra: str) -> dict[str, str]:
    return project.env(AUDIFI_DB_ALERTS_WEBHOOK_URL=",".join(urls), **extra)


def test_a_failed_migration_alerts_every_webhook_in_slacks_form(project, webhook_factory):
    hooks = [webhook_factory(), webhook_factory()]
    project.write("20260101000001", "bad", FAILING)
    done = project.cli("deploy", env=alerting(project, *(h.url for h in hooks)))
    assert done.returncode == 1
    for hook in hooks:
        (alert,) = hook.wait()
        text = alert.json()["text"]
        assert list(alert.json()) == ["text"]
        assert "20260101000001_bad FAILED on local" in text
        assert "db/migrations/20260101000001_bad.sql:2" in text
        assert "invalid input syntax for type integer" in text and "22P02" in text
        assert project.url.rsplit("/", 1)[1] in text  # the database
    time.sleep(0.5)
    assert [len(h.received) for h in hooks] == [1, 1]  # the run's failure adds no second alert


def test_the_json_format_carries_every_field_and_no_password(project, webhook):
    project.write("20260101000001", "bad", FAILING)
    url = project.url.replace("postgres@", "postgres:s3cret-pw@")  # trust auth ignores it
    env = alerting(project, webhook.url, AUDIFI_DB_ALERTS_FORMAT="json")
    done = project.cli("deploy", url=url, env=env)
    assert done.returncode == 1
    body = webhook.wait()[0].json()
    assert body["alert"] == "migration_failed" and body["event"] == "migration_failed"
    assert body["version"] == "20260101000001" and body["name"] == "bad"
    assert body["path"].endswith("20260101000001_bad.sql") and body["line"] == 2
    assert body["statement"] == 2 and body["statements"] == 2 and body["sqlstate"] == "22P02"
    assert body["failed_statement"] == "INSERT INTO t VALUES ('not a number')"
    assert body["target"]["environment"] == "local"
    assert body["target"]["url"] == url.replace("s3cret-pw", "***")
    assert "s3cret-pw" not in webhook.received[0].body.decode() + done.stdout + done.stderr


def test_the_long_running_alert_arrives_while_the_migration_still_runs(project, webhook):
    project.write("20260101000001", "waits", "SELECT pg_advisory_xact_lock(99);\n")
    env = alerting(
        project,
        webhook.url,
        AUDIFI_DB_ALERTS_LONG_RUNNING_SECONDS="1",
        AUDIFI_DB_ONLINE_LOCK_TIMEOUT_MS="0",  # one long wait, not lock_retry's timeouts
    )
    with project.holding(99):
        runner = project.spawn("deploy", env=env)
        (alert,) = webhook.wait(timeout=30)
        assert runner.poll() is None  # still running
        assert "20260101000001_waits on local" in alert.json()["text"]
        assert "still running after 1 s" in alert.json()["text"]
        time.sleep(2.5)  # past the threshold twice more: still one alert for this migration
    assert runner.wait(timeout=60) == 0
    assert len(webhook.received) == 1


def test_an_unreachable_database_alerts(project, webhook):
    project.write("20260101000001", "fine", "SELECT 1;\n")
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/nowhere"
    done = project.cli("deploy", url=url, env=alerting(project, webhook.url))
    assert done.returncode == 2
    text = webhook.wait()[0].json()["text"]
    assert "deploy on local" in text and "cannot reach PostgreSQL at 127.0.0.1" in text


def test_a_lock_wait_past_its_limit_alerts(project, webhook):
    project.write("20260101000001", "fine", "SELECT 1;\n")
    holder = psycopg2.connect(project.url)
    holder.autocommit = True
    with holder.cursor() as cur:
        cur.execute("select pg_advisory_lock(%s)", (lock_key("public", "audifi_migrations"),))
    env = alerting(project, webhook.url, AUDIFI_DB_LOCK_WAIT_SECONDS="1")
    done = project.cli("deploy", env=env)
    holder.close()
    assert done.returncode == 1
    assert "migration lock" in webhook.wait()[0].json()["text"]


def test_lock_waits_alert_once_naming_the_blocker_then_the_deadline_says_so(project, webhook):
    project.query("create table t (id int)")
    project.write("20260101000001", "add_c", "SELECT 1;\nALTER TABLE t ADD COLUMN c int;\n")
    blocker = psycopg2.connect(project.url, application_name="nightly report")
    blocker.cursor().execute("select count(*) from t")  # holds ACCESS SHARE until closed
    env = alerting(
        project,
        webhook.url,
        AUDIFI_DB_ALERTS_FORMAT="json",
        AUDIFI_DB_ONLINE_RETRY_DEADLINE_SECONDS="1.5",
    )
    done = project.cli("deploy", env=env)
    pid = blocker.get_backend_pid()
    blocker.close()
    assert done.returncode == 1 and "gave up waiting for locks" in done.stderr
    timeouts = done.stderr.count("timed out waiting for a lock")
    assert timeouts >= 3

    retrying, deadline = (r.json() for r in webhook.wait(2))
    who = f"pid {pid} (user postgres, application 'nightly report', "
    assert retrying["alert"] == "lock_retry" and retrying["event"] == "lock_timeout"
    assert retrying["version"] == "20260101000001" and retrying["name"] == "add_c"
    assert retrying["blockers"][0]["pid"] == pid and retrying["attempt"] == 1
    where = f"20260101000001_add_c on local (database {project.url.rsplit('/', 1)[1]})"
    assert f"{where} is waiting for locks" in retrying["text"]
    assert "statement 2 (line 2)" in retrying["text"] and who in retrying["text"]
    assert deadline["alert"] == "lock_deadline" and deadline["event"] == "migration_failed"
    assert deadline["sqlstate"] == "55P03" and deadline["line"] == 2
    assert deadline["attempts"] == timeouts and deadline["blockers"][0]["pid"] == pid
    assert f"{where} gave up waiting for locks after {timeouts} attempts" in deadline["text"]
    assert "[online] retry_deadline_seconds" in deadline["text"] and who in deadline["text"]
    time.sleep(0.5)
    assert len(webhook.received) == 2  # one lock_retry alert for all the timeouts


def test_a_connection_lost_mid_run_alerts(project, webhook):
    project.write("20260101000001", "waits", "SELECT pg_advisory_xact_lock(98);\n")
    with project.holding(98):
        env = alerting(project, webhook.url, AUDIFI_DB_ONLINE_LOCK_TIMEOUT_MS="0")
        runner = project.spawn("deploy", env=env)
        pid = wait_for(
            lambda: project.query(
                "select pid from pg_stat_activity where datname = current_database() "
                "and query like 'SELECT pg_advisory_xact_lock(98)%%' and wait_event_type = 'Lock'"
            ),
            what="the migration to wait",
        )[0][0]
        project.query("select pg_terminate_backend(%s)", (pid,))
        assert runner.wait(timeout=60) == 2
    text = webhook.wait()[0].json()["text"]
    assert "lost the database connection" in text


def test_a_failed_backup_alerts(project, webhook, tmp_path):
    project.write("20260101000001", "create", "CREATE TABLE t (id int);\n")
    no_tools = tmp_path / "no-tools"
    no_tools.mkdir()
    env = alerting(
        project,
        webhook.url,
        AUDIFI_DB_ALERTS_FORMAT="json",
        AUDIFI_DB_BACKUP_BEFORE_DEPLOY="true",
        AUDIFI_DB_BACKUP_DIR=str(tmp_path / "backups"),
        AUDIFI_DB_BACKUP_BIN_DIR=str(no_tools),
    )
    done = project.cli("deploy", env=env)
    assert done.returncode == 1
    assert project.query("select to_regclass('t')") == [(None,)]  # stopped before it
    (alert,) = (r.json() for r in webhook.wait())
    assert alert["alert"] == "backup_failed" and alert["event"] == "backup_failed"
    assert "the backup before a deploy to local (database" in alert["text"]
    assert f"failed: no pg_dump found (in [backup] bin_dir {no_tools})" in alert["text"]
    time.sleep(0.5)
    assert len(webhook.received) == 1  # the run's failure adds no second alert


def test_a_production_deploy_past_the_staging_gate_alerts(project, webhook):
    project.write("20260101000001", "fine", "SELECT 1;\n")
    env = alerting(project, webhook.url, PRODUCTION_DATABASE_URL=project.url)
    done = project.cli(
        "deploy",
        "--env",
        "production",
        "--skip-staging-check",
        "hotfix INC-42",
        "--skip-backup",  # another guard overridden: no alert of its own
        "restore point taken by hand",
        url=None,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    (alert,) = (r.json() for r in webhook.wait())
    text = alert["text"]
    assert "a deploy to production (database" in text and "went past the staging gate" in text
    assert "hotfix INC-42" in text and "overridden by " in text
    time.sleep(0.5)
    assert len(webhook.received) == 1


def test_an_unreachable_or_hanging_webhook_leaves_the_deploy_alone(project, webhook_factory):
    project.write("20260101000001", "bad", FAILING)
    plain, alone = timed(lambda: project.cli("deploy"))
    hanging = webhook_factory(hang=True)
    secret_url = hanging.url.replace("http://", "http://hook:hunter2@") + "/services/T0/SECRETTOKEN"
    unreachable = f"http://127.0.0.1:{closed_port()}/hooks/OTHERTOKEN"
    project.query("drop table if exists audifi_migrations")
    env = alerting(project, secret_url, unreachable)
    done, took = timed(lambda: project.cli("deploy", env=env))

    assert (done.returncode, done.stdout) == (plain.returncode, plain.stdout) == (1, plain.stdout)
    # it was asked (with the URL's credentials as basic auth), and never answered
    assert hanging.received[0].headers["Authorization"] == "Basic aG9vazpodW50ZXIy"
    # waited for the alerts in flight briefly (END_WAIT_SECONDS, 1 s), not the 120 s the
    # server hangs, nor the 3 s it once waited: a second of margin either way
    assert took < alone + 2
    extra = [line for line in done.stderr.splitlines() if line not in plain.stderr.splitlines()]
    assert len(extra) == 2, extra  # one line for each webhook
    assert any(
        "not delivered to http://127.0.0.1" in line and "Connection refused" in line
        for line in extra
    )
    assert any("still unanswered when the run ended" in line for line in extra)
    output = done.stdout + done.stderr
    for secret in ("hunter2", "SECRETTOKEN", "OTHERTOKEN"):
        assert secret not in output
    assert "Traceback" not in output


def test_a_webhook_url_that_is_not_http_is_one_line(project):
    project.write("20260101000001", "bad", FAILING)
    done = project.cli("deploy", env=alerting(project, "ftp://files.example/upload/TOKEN"))
    assert done.returncode == 1
    (line,) = [line for line in done.stderr.splitlines() if "webhook" in line]
    assert "ftp://files.example/… is not an http(s):// URL" in line
    assert "TOKEN" not in done.stderr


@pytest.mark.parametrize(("status", "attempts"), [(500, 3), (400, 1)])
def test_a_server_error_is_retried_and_a_refusal_is_not(webhook_factory, status, attempts):
    hook = webhook_factory(status=status)
    lines: list[str] = []
    alerts = Alerts(AlertsSettings(webhook_url=(hook.url + "/T/TOKEN",)), lines.append)
    target = events.Target("staging", "audifi", "postgresql://u@db/audifi")
    with Fanout([alerts]) as fanout:
        fanout.emit(events.BackupFailed(target=target, message="disk full"))
        hook.wait(attempts)  # a run still going: the retries are not cut short by its end
    assert len(hook.received) == attempts
    (line,) = lines
    assert line.startswith(f"alert backup_failed not delivered to {hook.url}/…: HTTP {status}")
    assert line.endswith("(after 3 attempts)") == (attempts == 3)
    assert "TOKEN" not in line
