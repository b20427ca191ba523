"""Webhook alerts, delivered to real HTTP servers on loopback by the real CLI."""

from __future__ import annotations

import time

import psycopg2
import pytest
from observe_fixtures import webhook_factory_fixture, webhook_fixture  # noqa: F401
from observe_helpers import closed_port, wait_for

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
    env = alerting(project, webhook.url, AUDIFI_DB_ALERTS_LONG_RUNNING_SECONDS="1")
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


def test_a_connection_lost_mid_run_alerts(project, webhook):
    project.write("20260101000001", "waits", "SELECT pg_advisory_xact_lock(98);\n")
    with project.holding(98):
        runner = project.spawn("deploy", env=alerting(project, webhook.url))
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


def test_a_failed_backup_and_a_deploy_past_the_staging_gate_alert(webhook):
    """The backup and promotion guards come from other branches: their events, fed to the
    listener through the real fan-out, reach a real server."""
    target = events.Target("production", "audifi", "postgresql://deploy:***@db/audifi")
    alerts = Alerts(AlertsSettings(webhook_url=(webhook.url,), format="json"), print)
    with Fanout([alerts]) as fanout:
        fanout.emit(events.RunStarted(target=target, command="deploy"))
        fanout.emit(events.GuardOverridden(target=target, guard="plan", reason="r", by="ci"))
        fanout.emit(
            events.GuardOverridden(
                target=target, guard="promotion", reason="hotfix INC-42", by="ana@ci"
            )
        )
        fanout.emit(events.BackupFailed(target=target, message="pg_dump: connection refused"))
    bodies = [r.json() for r in webhook.wait(2)]
    assert [b["alert"] for b in bodies] == ["staging_gate_overridden", "backup_failed"]
    assert "hotfix INC-42" in bodies[0]["text"] and "ana@ci" in bodies[0]["text"]
    assert "pg_dump: connection refused" in bodies[1]["text"]


def test_an_unreachable_or_hanging_webhook_leaves_the_deploy_alone(project, webhook_factory):
    project.write("20260101000001", "bad", FAILING)
    began = time.monotonic()
    plain = project.cli("deploy")
    alone = time.monotonic() - began
    hanging = webhook_factory(hang=True)
    secret_url = hanging.url.replace("http://", "http://hook:hunter2@") + "/services/T0/SECRETTOKEN"
    unreachable = f"http://127.0.0.1:{closed_port()}/hooks/OTHERTOKEN"
    project.query("drop table if exists audifi_migrations")
    began = time.monotonic()
    done = project.cli("deploy", env=alerting(project, secret_url, unreachable))
    took = time.monotonic() - began

    assert (done.returncode, done.stdout) == (plain.returncode, plain.stdout) == (1, plain.stdout)
    # it was asked (with the URL's credentials as basic auth), and never answered
    assert hanging.received[0].headers["Authorization"] == "Basic aG9vazpodW50ZXIy"
    assert took < alone + 10  # did not wait for the server that hangs for 120 s
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
    assert len(hook.received) == attempts
    (line,) = lines
    assert line.startswith(f"alert backup_failed not delivered to {hook.url}/…: HTTP {status}")
    assert line.endswith("(after 3 attempts)") == (attempts == 3)
    assert "TOKEN" not in line
