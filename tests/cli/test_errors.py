"""Bad input gets one clear line, a documented exit code, no traceback, nothing applied."""

import json
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from conftest import as_user, with_database

from audifi_db.config_sections import HistorySettings

GOOD = "create table users (id int);\n"


def one_clear_line(result, code):
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("audifi-db: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_unreachable_host(project):
    project.write("20260101000001", "users", GOOD)
    line = one_clear_line(project.cli("deploy", url="postgresql://postgres:pw@127.0.0.1:1/db"), 2)
    assert "cannot reach PostgreSQL at 127.0.0.1:1" in line and "pw@" not in line


def test_missing_database(project, server_url):
    project.write("20260101000001", "users", GOOD)
    url = with_database(server_url, "audifi_no_such_db")
    line = one_clear_line(project.cli("status", url=url), 2)
    assert "does not exist" in line and "audifi_no_such_db" in line


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:secretpw@localhost:notaport/db", "malformed database URL"),
        ("mysql://u:secretpw@localhost/db", "scheme must be postgresql"),
    ],
)
def test_malformed_url(project, url, expected):
    project.write("20260101000001", "users", GOOD)
    line = one_clear_line(project.cli("deploy", url=url), 2)
    assert expected in line and "secretpw" not in line


def test_missing_environment_variable_for_staging(project):
    result = project.cli("status", "--env", "staging", url=None)
    line = one_clear_line(result, 2)
    assert "STAGING_DATABASE_URL is not set" in line


def test_unreadable_migrations_folder(project):
    project.migrations.rmdir()
    project.migrations.write_text("not a folder")
    line = one_clear_line(project.cli("deploy"), 2)
    assert "cannot read migrations folder" in line


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("20260101000002_Bad-Name.sql", b"select 1;", "not a migration file name"),
        ("20260101000002_empty.sql", b"", "empty migration"),
        ("20260101000001_dup.sql", b"select 1;", "also used by"),
        ("20260101000002_latin.sql", "select 'é';".encode("latin-1"), "not UTF-8"),
        (
            "20260101000002_syntax.sql",
            b"select 1;\ncreate tabel x (id int);\n",
            ":2:8: syntax error",
        ),
        ("20260101000002_comments.sql", b"-- nothing here\n", "no SQL statements"),
    ],
)
def test_file_errors_name_the_file_and_apply_nothing(project, name, data, expected):
    project.write("20260101000001", "users", GOOD)
    (project.migrations / name).write_bytes(data)
    line = one_clear_line(project.cli("deploy"), 2)
    assert expected in line
    assert name in line or "20260101000001_users.sql" in line
    assert project.query("select to_regclass('users')") == [(None,)]


def test_password_never_appears_in_any_output(project, server_url):
    # the test server trusts local connections, so the password is accepted and ignored
    parts = urlsplit(project.url)
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    host = parts.netloc.rpartition("@")[2]
    url = urlunsplit(parts._replace(netloc=f"{user}:Sup3rS3cret@{host}"))
    project.write("20260101000001", "users", GOOD)
    project.write("20260101000002", "broken", "select 1/0;\n")
    outputs = [
        project.cli("deploy", url=url),
        project.cli("status", "--json", url=url),
        project.cli("status", url=url),
        project.cli("deploy", "--json", url=url),
        project.cli("deploy", "--dry-run", url=url),
    ]
    for result in outputs:
        assert "Sup3rS3cret" not in result.stdout + result.stderr
    assert "postgres:***@" in outputs[0].stderr
    stored = project.query("select t::text from audifi_migrations t")
    assert stored and all("Sup3rS3cret" not in row[0] for row in stored)


def test_json_error_output_is_machine_readable(project):
    result = project.cli("status", "--json", url="postgresql://u@127.0.0.1:1/db")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["error"] == "ConnectError"


def test_github_actions_gets_an_error_annotation(project):
    env = project.env(GITHUB_ACTIONS="true")
    result = project.cli("deploy", url="postgresql://u@127.0.0.1:1/db", env=env)
    assert result.returncode == 2
    assert "::error title=audifi-db::cannot reach PostgreSQL" in result.stderr


def test_usage_error_exits_2(project):
    result = project.cli("resolve", "20260101000001", url=None)
    assert result.returncode == 2 and "--applied" in result.stderr


def test_a_foreign_table_in_the_history_place_is_named(project):
    project.write("20260101000001", "users", GOOD)
    project.query("create table audifi_migrations (id int)")
    line = one_clear_line(project.cli("status"), 2)
    assert "not an audifi-db history table (no column version)" in line
    assert "[history] table" in line


def test_a_server_refusal_of_our_own_query_is_one_line(project):
    project.write("20260101000001", "users", GOOD)
    assert project.cli("deploy").returncode == 0
    role = f"audifi_test_reader_{uuid.uuid4().hex[:8]}"
    project.query(f"create role {role} login; revoke all on audifi_migrations from public")
    try:
        line = one_clear_line(project.cli("status", url=as_user(project.url, role)), 2)
    finally:
        project.query(f"drop owned by {role}; drop role {role}")
    assert "the server refused: permission denied" in line and "SQLSTATE 42501" in line


def test_transaction_control_is_refused_in_no_transaction_migrations_too(project):
    project.write(
        "20260101000001",
        "tx",
        "-- audifi-db: no-transaction\ncreate table t (id int);\nbegin;\ninsert into t values (1);\n",
    )
    line = one_clear_line(project.cli("deploy"), 2)
    assert ":3: transaction control (begin)" in line
    assert project.query("select to_regclass('t')") == [(None,)]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:pa/ss@127.0.0.1/db",
        "postgresql://u:se#cret@127.0.0.1/db",
        "postgresql://localhost/db?port=abc&password=pa55",
        "host=127.0.0.1 password=pa55 dbname=x",
    ],
)
def test_odd_urls_never_show_the_password(project, url):
    line = one_clear_line(project.cli("status", url=url), 2)
    assert "pa/ss" not in line and "se#cret" not in line and "pa55" not in line


@pytest.mark.parametrize(
    "environ, toml, expected",
    [
        ({"AUDIFI_DB_LOCK_WAIT_SECONDS": "nan"}, "", "finite number"),
        ({}, "[environments.qa]\nprotected = true\n", "has no url_variable"),
    ],
)
def test_bad_settings_are_one_line(project, environ, toml, expected):
    (project.root / "audifi-db.toml").write_text(toml)
    args = ["status", "--env", "qa"] if "qa" in toml else ["status"]
    line = one_clear_line(project.cli(*args, url=None, env=project.env(**environ)), 2)
    assert expected in line


def test_resolve_on_a_database_without_history_leaves_no_trace(project):
    project.write("20260101000001", "users", GOOD)
    result = project.cli("resolve", "20260101000001", "--applied")
    assert result.returncode == 1 and "only a failed or in_progress migration" in result.stderr
    assert project.query("select to_regclass('audifi_migrations')") == [(None,)]


HISTORY = ".".join(HistorySettings())  # the history table's configured name (schema.table)
REFUSED_BEFORE_ANYTHING_RUNS = [
    ("deploy", "create tabel x (id int);\n", 2, "syntax error at or near"),
    ("deploy", "create index concurrently t_id on t (id);\n", 2, "cannot run inside a trans"),
    ("staging", "drop table legacy;\n", 1, "[dropping-table]"),
    ("dry-run", "create table t (id int);\n", 0, None),
]


@pytest.mark.parametrize("run, sql, code, expected", REFUSED_BEFORE_ANYTHING_RUNS)
def test_a_refused_deploy_on_a_fresh_database_creates_no_history_table(
    project, run, sql, code, expected
):
    project.write("20260101000001", "users", GOOD)
    project.write("20260101000002", "refused", sql)
    args = {"staging": ["--env", "staging"], "dry-run": ["--dry-run"]}.get(run, [])
    url = None if run == "staging" else "default"
    result = project.cli(
        "deploy", *args, url=url, env=project.env(STAGING_DATABASE_URL=project.url)
    )
    if expected is None:
        assert result.returncode == code, result.stderr
    else:
        assert expected in one_clear_line(result, code)
    assert project.query("select to_regclass(%s), to_regclass('users')", (HISTORY,)) == [
        (None, None)
    ]
