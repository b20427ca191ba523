"""Prometheus metrics (textfile and Pushgateway) and the GitHub step summary, from real runs
of the CLI; and the cost of having nothing configured."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from observe_fixtures import webhook_factory_fixture, webhook_fixture  # noqa: F401
from observe_helpers import closed_port, timed
from prometheus_client.parser import text_string_to_metric_families

FINE = "CREATE TABLE t (id int);\nINSERT INTO t SELECT generate_series(1, 7);\n"


def families(path) -> dict[str, list]:
    parsed = text_string_to_metric_families(path.read_text())
    return {family.name: family.samples for family in parsed}


def one(samples: list, **labels: str) -> float:
    (value,) = [s.value for s in samples if labels.items() <= s.labels.items()]
    return value


def test_the_textfile_parses_with_prometheus_clients_own_parser(project, tmp_path):
    textfile = tmp_path / "metrics" / "audifi.prom"
    textfile.parent.mkdir()
    project.write("20260101000001", "create", FINE)
    project.write("20260101000002", "index", "CREATE INDEX t_id_idx ON t (id);\n")
    measuring = {"AUDIFI_DB_METRICS_ENABLED": "true", "AUDIFI_DB_METRICS_TEXTFILE": str(textfile)}
    done = project.cli("deploy", env=project.env(**measuring))
    assert done.returncode == 0, done.stderr

    found = families(textfile)
    database = project.url.rsplit("/", 1)[1]
    durations = found["audifi_db_migration_duration_seconds"]
    assert {s.labels["version"] for s in durations} == {"20260101000001", "20260101000002"}
    assert all(s.labels["state"] == "applied" and s.value >= 0 for s in durations)
    assert all(
        s.labels["environment"] == "local" and s.labels["database"] == database for s in durations
    )
    assert one(found["audifi_db_migration_rows_affected"], version="20260101000001") == 7
    index_bytes = project.query("select pg_relation_size('t_id_idx')")[0][0]
    assert one(found["audifi_db_migration_index_bytes"], version="20260101000002") == index_bytes
    assert (
        one(
            found["audifi_db_migration_locked_relations"],
            version="20260101000002",
            mode="ShareLock",
        )
        == 1
    )
    assert one(found["audifi_db_migrations_pending"]) == 0
    assert one(found["audifi_db_run_migrations_applied"]) == 2
    assert one(found["audifi_db_last_run_success"]) == 1
    assert abs(one(found["audifi_db_last_success_timestamp_seconds"]) - time.time()) < 120
    assert [p.name for p in textfile.parent.iterdir()] == ["audifi.prom"]  # no temporary left


def test_a_failed_run_keeps_the_last_success(project, tmp_path):
    textfile = tmp_path / "audifi.prom"
    env = project.env(AUDIFI_DB_METRICS_TEXTFILE=str(textfile))
    project.write("20260101000001", "create", FINE)
    assert project.cli("deploy", env=env).returncode == 0
    succeeded = one(families(textfile)["audifi_db_last_success_timestamp_seconds"])
    project.write("20260101000002", "bad", "INSERT INTO t VALUES ('x');\n")
    assert project.cli("deploy", env=env).returncode == 1

    found = families(textfile)
    assert one(found["audifi_db_last_success_timestamp_seconds"]) == succeeded
    assert one(found["audifi_db_last_run_success"]) == 0
    assert one(found["audifi_db_migrations_pending"]) == 1
    assert (
        one(found["audifi_db_migration_duration_seconds"], version="20260101000002", state="failed")
        >= 0
    )


def test_pending_counts_every_migration_not_applied_after_a_targeted_run(project, tmp_path):
    textfile = tmp_path / "audifi.prom"
    env = project.env(AUDIFI_DB_METRICS_TEXTFILE=str(textfile))
    project.write("20260101000001", "create", FINE)
    project.write("20260101000002", "more", "INSERT INTO t VALUES (8);\n")
    project.write("20260101000003", "index", "CREATE INDEX t_id_idx ON t (id);\n")
    done = project.cli("deploy", "--target", "20260101000002", env=env)
    assert done.returncode == 0, done.stderr
    found = families(textfile)
    assert one(found["audifi_db_run_migrations_applied"]) == 2
    assert one(found["audifi_db_migrations_pending"]) == 1  # the one past the target

    project.write("20260101000004", "bad", "INSERT INTO t VALUES ('x');\n")
    assert project.cli("deploy", env=env).returncode == 1
    assert one(families(textfile)["audifi_db_migrations_pending"]) == 1  # the failed one


def test_an_unwritable_textfile_is_one_line_and_the_deploy_goes_on(project):
    project.write("20260101000001", "create", FINE)
    env = project.env(AUDIFI_DB_METRICS_TEXTFILE="/nonexistent/folder/audifi.prom")
    done = project.cli("deploy", env=env)
    assert done.returncode == 0
    (line,) = [line for line in done.stderr.splitlines() if "metrics" in line]
    assert line == (
        "audifi-db: metrics not written to /nonexistent/folder/audifi.prom: No such file or directory"
    )
    assert "Traceback" not in done.stderr
    assert project.query("select count(*) from t") == [(7,)]


def test_the_pushgateway_push_reaches_a_loopback_server(project, webhook):
    project.write("20260101000001", "create", FINE)
    gateway = webhook.url.replace("http://", "http://pusher:pa55word@")
    done = project.cli("deploy", env=project.env(AUDIFI_DB_METRICS_PUSHGATEWAY_URL=gateway))
    assert done.returncode == 0, done.stderr

    (push,) = webhook.wait()
    database = project.url.rsplit("/", 1)[1]
    assert push.method == "POST"  # add: what this run does not set keeps its value
    assert push.path == f"/metrics/job/audifi_db/database/{database}/environment/local"
    assert push.headers["Authorization"] == "Basic cHVzaGVyOnBhNTV3b3Jk"
    pushed = {f.name: f.samples for f in text_string_to_metric_families(push.body.decode())}
    assert one(pushed["audifi_db_run_migrations_applied"]) == 1
    assert "pa55word" not in done.stdout + done.stderr


def test_an_unreachable_pushgateway_is_one_line(project):
    project.write("20260101000001", "create", FINE)
    port = closed_port()
    env = project.env(AUDIFI_DB_METRICS_PUSHGATEWAY_URL=f"http://127.0.0.1:{port}/prefix/x")
    done = project.cli("deploy", env=env)
    assert done.returncode == 0
    (line,) = [line for line in done.stderr.splitlines() if "metrics" in line]
    assert line == f"audifi-db: metrics not pushed to http://127.0.0.1:{port}/…: Connection refused"


def test_a_hanging_pushgateway_is_one_line_and_waited_for_briefly(project, webhook_factory):
    project.write("20260101000001", "create", FINE)
    plain, alone = timed(lambda: project.cli("deploy"))
    hanging = webhook_factory(hang=True)
    project.query("drop table t, audifi_migrations")
    env = project.env(AUDIFI_DB_METRICS_PUSHGATEWAY_URL=hanging.url)
    done, took = timed(lambda: project.cli("deploy", env=env))

    assert done.returncode == plain.returncode == 0
    assert done.stdout.endswith("1 migration(s) applied\n")
    assert len(hanging.received) == 1  # it was asked, and never answered
    # END_WAIT_SECONDS (1 s), not the 120 s the server hangs nor the 3 s it once waited
    assert took < alone + 2
    (line,) = [line for line in done.stderr.splitlines() if "metrics" in line]
    assert line.startswith(f"audifi-db: metrics not pushed to {hanging.url}: ")
    assert "timed out" in line


def test_the_github_step_summary_is_a_markdown_table(project, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = project.env(GITHUB_STEP_SUMMARY=str(summary), AUDIFI_DB_METRICS_ENABLED="true")
    project.write("20260101000001", "create", FINE)
    assert project.cli("deploy", env=env).returncode == 0
    project.write("20260101000002", "bad", "INSERT INTO t VALUES ('x|y');\n")
    assert project.cli("deploy", env=env).returncode == 1

    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, as GitHub expects
    database = project.url.rsplit("/", 1)[1]
    assert text.count(f"### audifi-db deploy: local ({database})") == 2
    assert "| migration | result | duration | rows | locks | indexes built |" in text
    applied = next(line for line in text.splitlines() if "20260101000001_create" in line)
    assert (
        "✅ applied" in applied and "| 7 |" in applied and "AccessExclusive on public.t" in applied
    )
    failed = next(line for line in text.splitlines() if "20260101000002_bad" in line)
    assert "❌ failed at db/migrations/20260101000002_bad.sql:1" in failed
    assert "x\\|y" in failed  # a pipe from the server's message does not break the table
    assert "**1 applied**" in text and "**failed** after 0 applied" in text


PROBE = """
import json, sys, threading
started = []
original = threading.Thread.start
def start(self):
    started.append(self.name)
    original(self)
threading.Thread.start = start
from audifi_db import operations
from audifi_db.config import load_settings
settings = load_settings("local", sys.argv[1], environ={})
{call}
print(json.dumps({"prometheus": "prometheus_client" in sys.modules,
                  "observe": "audifi_db.observe" in sys.modules, "threads": started}))
"""


def _probe(project, call: str) -> dict:
    code = PROBE.replace("{call}", call)
    done = subprocess.run(
        [sys.executable, "-c", code, project.url], cwd=project.root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_status_and_an_unconfigured_deploy_stay_light(project):
    project.write("20260101000001", "create", FINE)
    deployed = _probe(project, "operations.deploy(settings)")
    # one thread only: the lock watch that names who blocks a statement past lock_timeout
    # (the bounded lock waits of [online]); no observer's
    assert deployed == {"prometheus": False, "observe": True, "threads": ["lock watch"]}
    checked = _probe(project, "operations.status(settings)")
    assert checked == {"prometheus": False, "observe": False, "threads": []}


def test_a_seed_run_leaves_the_pending_migrations_gauge_as_it_was(project, tmp_path):
    textfile = tmp_path / "audifi.prom"
    env = project.env(AUDIFI_DB_METRICS_TEXTFILE=str(textfile))
    project.write("20260101000001", "create", FINE)
    assert project.cli("deploy", env=env).returncode == 0
    seeds = project.root / "db" / "seeds"
    seeds.mkdir()
    (seeds / "001_more.sql").write_text("INSERT INTO t VALUES (8);\n")
    (seeds / "002_bad.sql").write_text("INSERT INTO t VALUES ('x');\n")
    assert project.cli("seed", env=env).returncode == 1

    found = families(textfile)
    assert one(found["audifi_db_last_run_success"]) == 0  # the seed run wrote the file
    assert one(found["audifi_db_migrations_pending"]) == 0  # seed files are not migrations
