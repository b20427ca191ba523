"""The embedded server: status, stop, and `reset --embedded` starting a new one."""

import json

from conftest import query

GOOD = "create table users (id int);\n"


def embedded(project, *args: str) -> dict:
    result = project.cli("embedded", *args, "--json", url=None)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_status_stop_and_reset_embedded(embedded_project):
    project = embedded_project
    project.write("20260101000001", "users", GOOD)
    assert embedded(project, "status")["running"] is False
    assert project.cli("deploy", url=None, timeout=300).returncode == 0
    state = embedded(project, "status")
    assert state["running"] is True and state["data_dir"] == ".audifi/pgdata"
    query(state["url"], "insert into users values (1)")
    text = project.cli("embedded", "status", url=None)
    assert f"running: pid {state['pid']} since" in text.stdout
    stopped = embedded(project, "stop")
    assert stopped["stopped"] is True and stopped["pid"] == state["pid"]
    assert embedded(project, "status")["running"] is False
    again = project.cli("status", url=None, timeout=300)  # starts it again, data kept
    assert again.returncode == 0, again.stderr
    assert query(embedded(project, "status")["url"], "select count(*) from users") == [(1,)]
    fresh = project.cli("reset", "--embedded", "--force", url=None, timeout=300)
    assert fresh.returncode == 0, fresh.stderr
    assert "stopped the embedded PostgreSQL and deleted its data" in fresh.stderr
    after = embedded(project, "status")
    assert after["pid"] != state["pid"]
    assert query(after["url"], "select count(*) from users") == [(0,)]
    assert embedded(project, "stop")["stopped"] is True
    assert embedded(project, "status")["running"] is False


def test_reset_embedded_is_refused_with_a_database_url(project):
    project.write("20260101000001", "users", GOOD)
    assert project.cli("deploy").returncode == 0
    result = project.cli("reset", "--embedded", "--force")
    assert (
        result.returncode == 2 and "--embedded starts the embedded server afresh" in result.stderr
    )
    assert project.query("select to_regclass('users') is not null") == [(True,)]
