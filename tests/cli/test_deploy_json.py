"""`deploy --json` and `--log-format json`: the run's events as JSON lines, as documented."""

import json

from events_doc import check_line

TWO = "create table t (id int);\ninsert into t values (1), (2);\n"


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_deploy_json_prints_each_event_as_a_documented_line(project):
    project.write("20260101000001", "t", TWO)
    result = project.cli("deploy", "--json")
    assert result.returncode == 0, result.stderr
    printed = lines(result.stdout)
    for line in printed:
        check_line(line)
    names = [line["event"] for line in printed]
    assert names[0] == "lock_acquired" and names[-1] == "run_finished"
    assert names.count("migration_applied") == 1 and names.count("statement_finished") == 2
    applied = next(line for line in printed if line["event"] == "migration_applied")
    assert applied["version"] == "20260101000001" and applied["rows_affected"] == 2
    assert printed[-1]["applied"] == 1


def test_a_failed_run_ends_with_run_failed_and_exit_1(project):
    project.write("20260101000001", "bad", "create table t (id int);\nselect 1/0;\n")
    result = project.cli("deploy", "--json")
    assert result.returncode == 1
    printed = lines(result.stdout)
    for line in printed:
        check_line(line)
    failed = next(line for line in printed if line["event"] == "migration_failed")
    assert failed["sqlstate"] == "22012" and failed["line"] == 2
    assert printed[-1]["event"] == "run_failed"
    assert printed[-1]["error"] == "MigrationFailedError"


def test_an_error_before_the_run_is_one_envelope(project):
    result = project.cli("deploy", "--json", env=project.env(AUDIFI_DB_LOCK_WAIT_SECONDS="soon"))
    assert result.returncode == 2
    [envelope] = lines(result.stdout)
    assert envelope["ok"] is False and envelope["error"] == "ConfigError"


def test_an_unreachable_database_is_a_run_failed_line(project):
    result = project.cli("deploy", "--json", url="postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 2
    [failed] = lines(result.stdout)
    check_line(failed)
    assert failed["event"] == "run_failed" and failed["error"] == "ConnectError"


def test_log_format_json_puts_the_events_on_stderr(project, tmp_path):
    project.write("20260101000001", "t", TWO)
    log = tmp_path / "events.jsonl"
    result = project.cli("deploy", "--log-format", "json", "--log-file", str(log))
    assert result.returncode == 0, result.stderr
    on_stderr = lines(result.stderr)
    assert on_stderr[0] == {"level": "info", "message": on_stderr[0]["message"]}
    events = [line for line in on_stderr if "event" in line]
    assert [e["event"] for e in events] == [e["event"] for e in lines(log.read_text())]
    assert events[-1]["event"] == "run_finished"
    assert "1 migration(s) applied" in result.stdout


def test_a_dry_run_logs_its_events_and_prints_the_documented_plan(project, tmp_path):
    project.write("20260101000001", "t", TWO)
    log = tmp_path / "events.jsonl"
    result = project.cli("deploy", "--dry-run", "--json", "--log-file", str(log))
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert set(plan) == {"ok", "dry_run", "steps", "guards"} and plan["dry_run"] is True
    assert set(plan["steps"][0]) == {"version", "name", "transactional", "start", "sql"}
    assert {g["guard"] for g in plan["guards"]} == {"plan", "lint", "promotion", "backup"}
    events = lines(log.read_text())
    for line in events:
        check_line(line)
    started = next(e for e in events if e["event"] == "run_started")
    assert started["dry_run"] is True and started["pending"] == ["20260101000001_t.sql"]
    assert [e["event"] for e in events].count("guard_passed") == 4
    assert events[-1]["event"] == "run_finished" and events[-1]["applied"] == 0
    assert project.query("SELECT to_regclass('t') IS NULL") == [(True,)]
