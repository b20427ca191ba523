"""`deploy`, `status`, `validate`, `dry-run` through the real CLI against a real database."""

import json

USERS = "create table users (id bigint primary key, email text not null);\n"
POSTS = "create table posts (id bigint primary key, user_id bigint references users);\n"


def test_deploy_applies_in_order_then_is_a_no_op(project):
    project.write("20260101000002", "posts", POSTS)
    project.write("20260101000001", "users", USERS)
    first = project.cli("deploy")
    assert first.returncode == 0, first.stderr
    assert first.stdout.index("users") < first.stdout.index("posts")
    assert "ms" in first.stdout
    assert [r[:2] for r in project.history()] == [
        ("20260101000001", "applied"),
        ("20260101000002", "applied"),
    ]
    second = project.cli("deploy")
    assert second.returncode == 0 and "up to date" in second.stdout
    assert len(project.history()) == 2


def test_status_json_and_exit_code_gate_on_sync(project):
    project.write("20260101000001", "users", USERS)
    pending = project.cli("status", "--json")
    assert pending.returncode == 1
    data = json.loads(pending.stdout)
    assert data["migrations"][0]["state"] == "pending" and data["counts"]["pending"] == 1
    assert data["in_sync"] is False
    project.cli("deploy")
    synced = project.cli("status", "--json")
    assert synced.returncode == 0
    entry = json.loads(synced.stdout)["migrations"][0]
    assert {entry["version"], entry["name"], entry["state"]} == {
        "20260101000001",
        "users",
        "applied",
    }
    human = project.cli("status")
    assert "applied" in human.stdout and "in sync" in human.stdout


def test_dry_run_prints_sql_and_changes_nothing(project):
    project.write("20260101000001", "users", USERS)
    result = project.cli("deploy", "--dry-run")
    assert result.returncode == 0
    assert "would apply 20260101000001_users.sql" in result.stdout
    assert "create table users" in result.stdout
    assert project.query("select to_regclass('users'), to_regclass('audifi_migrations')") == [
        (None, None)
    ]


def test_failing_migration_is_atomic_and_recorded(project):
    project.write("20260101000001", "users", USERS)
    project.write(
        "20260101000002",
        "broken",
        "create table t (id int);\ninsert into t values (1);\n\ninsert into missing values (1);\n",
    )
    project.write("20260101000003", "later", "create table later (id int);\n")
    result = project.cli("deploy")
    assert result.returncode == 1
    assert "20260101000002_broken.sql:4" in result.stderr
    assert 'relation "missing" does not exist' in result.stderr
    assert "Traceback" not in result.stderr
    assert project.query(
        "select to_regclass('users') is not null, to_regclass('t'), to_regclass('later')"
    ) == [(True, None, None)]
    history = project.history()
    assert [r[:2] for r in history] == [("20260101000001", "applied"), ("20260101000002", "failed")]
    assert history[1][4] == 4 and "missing" in history[1][5]
    status = json.loads(project.cli("status", "--json").stdout)
    assert [m["state"] for m in status["migrations"]] == ["applied", "failed", "pending"]
    # fixed, the failed (rolled back) migration is simply run again
    project.write("20260101000002", "broken", "create table t (id int);\n")
    again = project.cli("deploy")
    assert again.returncode == 0, again.stderr
    assert "retrying" in again.stderr
    assert project.cli("status").returncode == 0


def test_statement_inside_dollar_quotes_and_comments_is_not_split(project):
    project.write(
        "20260101000001",
        "function",
        "-- a comment; select 1/0;\n"
        "create function add_one(i int) returns int language plpgsql as $$\n"
        "begin\n  return i + 1; -- ; not a split\nend;\n$$;\n"
        "select 'a; b';\n",
    )
    result = project.cli("deploy")
    assert result.returncode == 0, result.stderr
    assert project.query("select add_one(1)") == [(2,)]
    assert project.history()[0][3] == 2


def test_edited_applied_file_is_changed_and_validate_fails(project):
    path = project.write("20260101000001", "users", USERS)
    project.cli("deploy")
    assert project.cli("validate").returncode == 0
    path.write_text(USERS + "-- edited\nselect 1;\n")
    status = json.loads(project.cli("status", "--json").stdout)
    assert status["migrations"][0]["state"] == "changed"
    result = project.cli("validate")
    assert result.returncode == 1 and "changed" in result.stdout
    refused = project.cli("deploy")
    assert refused.returncode == 1 and "edited since it was applied" in refused.stderr


def test_missing_file_is_missing(project):
    path = project.write("20260101000001", "users", USERS)
    project.cli("deploy")
    path.unlink()
    result = project.cli("validate", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["problems"][0]["state"] == "missing"


def test_crlf_and_bom_checkout_is_not_an_edit(project):
    path = project.write("20260101000001", "users", USERS)
    project.cli("deploy")
    path.write_bytes(b"\xef\xbb\xbf" + USERS.replace("\n", "\r\n").encode())
    assert project.cli("validate").returncode == 0
    assert project.cli("status").returncode == 0


def test_new_creates_unique_versions(project):
    first = project.cli("new", "add_users_table", url=None)
    second = project.cli("new", "add_users_table", url=None)
    assert first.returncode == 0 and second.returncode == 0
    files = sorted(p.name for p in project.migrations.iterdir())
    assert len(files) == 2 and files[0][:14] != files[1][:14]
    assert first.stdout.strip().endswith(files[0])


def test_session_settings_do_not_leak_into_the_next_migration(project):
    project.write(
        "20260101000001",
        "a",
        "create schema app;\nset search_path to app;\ncreate table a (id int);\n",
    )
    project.write("20260101000002", "b", "create table b (id int);\n")
    assert project.cli("deploy").returncode == 0
    assert project.query(
        "select to_regclass('app.a') is not null, to_regclass('public.b') is not null"
    ) == [(True, True)]


def test_a_failure_at_commit_is_reported_as_such(project):
    project.write(
        "20260101000001",
        "deferred",
        "create table p (id int primary key);\n"
        "create table c (id int, pid int references p deferrable initially deferred);\n"
        "insert into c values (1, 42);\n",
    )
    result = project.cli("deploy")
    assert result.returncode == 1
    assert "failed at COMMIT" in result.stderr and "foreign key" in result.stderr
    assert project.query("select to_regclass('p')") == [(None,)]
    assert project.history()[0][:4] == ("20260101000001", "failed", 3, 3)
