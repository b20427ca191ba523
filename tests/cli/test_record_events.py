"""resolve, baseline and db create|drop: their events reach --log-file, as documented."""

import json

from conftest import admin_execute, with_database
from events_doc import check_line


def logged(path) -> list[dict]:
    found = [json.loads(line) for line in path.read_text().splitlines()]
    for line in found:
        check_line(line)
    return found


def test_resolve_and_baseline_log_what_they_recorded(project, tmp_path):
    project.write("20260101000001", "t", "create table t (id int);\n")
    project.write("20260101000002", "bad", "select 1/0;\n")
    assert project.cli("deploy").returncode == 1
    log = tmp_path / "events.jsonl"
    result = project.cli("resolve", "20260101000002", "--rolled-back", "--log-file", str(log))
    assert result.returncode == 0, result.stderr
    names = [e["event"] for e in logged(log)]
    assert names == ["lock_acquired", "migration_resolved"]
    resolved = logged(log)[-1]
    assert (resolved["version"], resolved["name"], resolved["state"]) == (
        "20260101000002",
        "bad",
        "rolled_back",
    )
    refused = project.cli("baseline", "20260101000001", "--log-file", str(log))
    assert refused.returncode != 0
    assert logged(log)[-1]["event"] == "refused" and logged(log)[-1]["guard"] == "baseline"

    project.query("DROP TABLE audifi_migrations; SELECT 1")
    assert project.cli("baseline", "20260101000001", "--log-file", str(log)).returncode == 0
    assert logged(log)[-1]["event"] == "baselined"
    assert logged(log)[-1]["versions"] == ["20260101000001"]


def test_db_create_and_drop_log_what_they_did_and_a_refusal(project, tmp_path):
    log = tmp_path / "events.jsonl"
    url = with_database(project.url, project.url.rsplit("/", 1)[1] + "_made")
    try:
        created = project.cli("db", "create", "--log-file", str(log), url=url)
        assert created.returncode == 0, created.stderr
        assert [e["event"] for e in logged(log)] == ["database_created"]
        dropped = project.cli("db", "drop", "--force", "--log-file", str(log), url=url)
        assert dropped.returncode == 0, dropped.stderr
        assert logged(log)[-1]["event"] == "database_dropped"
        refused = project.cli(
            "db", "drop", "--force", "--env", "staging", "--log-file", str(log), url=url
        )
        assert refused.returncode == 2
        assert logged(log)[-1]["event"] == "refused"
        assert logged(log)[-1]["guard"] == "protected-environment"
    finally:
        admin_execute(project.url, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')
