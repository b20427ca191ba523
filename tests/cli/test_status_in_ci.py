"""`status` inside GitHub Actions: the workflows run it after `deploy`, success or failure, so a
failed migration gets an annotation at its file and line and the run gets a summary."""

import json

USERS = "create table users (id bigint primary key, email text not null);\n"
BROKEN = "alter table users add column a text;\nalter table nope add column b text;\n"


def test_a_failed_migration_is_annotated_at_its_line_and_summarised(project, tmp_path):
    project.write("20260101000001", "users", USERS)
    project.write("20260101000002", "broken", BROKEN)
    assert project.cli("deploy").returncode == 1
    summary = tmp_path / "summary.md"
    env = project.env(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    result = project.cli("status", env=env)
    assert result.returncode == 1
    [note] = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert note.startswith(
        "::error file=db/migrations/20260101000002_broken.sql,line=2,"
        "title=audifi-db status%3A failed::migration 20260101000002_broken on local: failed: "
    )
    assert 'relation "nope" does not exist' in note
    text = summary.read_text()
    assert text.startswith("## ❌ audifi-db status: local is NOT in sync")
    assert "| 20260101000002 | broken | failed | stopped at statement 2 of 2 |" in text
    assert "| 20260101000001 | users | applied |" in text


def test_in_sync_writes_the_summary_and_no_annotation(project, tmp_path):
    project.write("20260101000001", "users", USERS)
    assert project.cli("deploy").returncode == 0
    summary = tmp_path / "summary.md"
    env = project.env(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    result = project.cli("status", "--json", env=env)
    assert result.returncode == 0
    assert json.loads(result.stdout)["in_sync"] is True  # stdout stays one JSON object
    assert "::error" not in result.stdout + result.stderr
    assert summary.read_text().startswith("## ✅ audifi-db status: local is in sync")


def test_outside_github_actions_nothing_is_added(project, tmp_path):
    project.write("20260101000001", "users", USERS)
    project.write("20260101000002", "broken", BROKEN)
    project.cli("deploy")
    result = project.cli("status")
    assert result.returncode == 1 and "::error" not in result.stdout + result.stderr
    data = json.loads(project.cli("status", "--json").stdout)
    assert [m["failed_line"] for m in data["migrations"]] == [None, 2]
