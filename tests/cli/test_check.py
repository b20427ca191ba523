"""`audifi-db check` against real git repositories made here, the real CLI and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import Project, admin_execute, query, with_database

USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n"
IPOS = "CREATE TABLE ipos (\n  id bigint PRIMARY KEY,\n  user_id bigint REFERENCES users\n);\n"
NICKNAME = "ALTER TABLE users ADD COLUMN nickname text;\n"


class Repo:
    """The project folder as a git repository: main holds two migrations."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.git("init", "-q", "-b", "main")
        project.write("20260101000000", "users", USERS)
        project.write("20260102000000", "ipos", IPOS)
        self.commit("base")

    def git(self, *args: str) -> str:
        result = subprocess.run(
            [
                "git",
                "-c",
                "user.name=Test",
                "-c",
                "user.email=test@example.com",
                "-c",
                "commit.gpgsign=false",
                *args,
            ],
            cwd=self.project.root,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def branch(self, name: str, start: str = "main") -> None:
        self.git("checkout", "-q", "-b", name, start)

    def check(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return self.project.cli("check", *args, env=self.project.env(**env))

    def check_json(self, *args: str) -> tuple[int, dict]:
        result = self.check("--json", *args)
        return result.returncode, json.loads(result.stdout)


@pytest.fixture
def repo(project) -> Repo:
    return Repo(project)


def scratch_exists(project: Project, name: str) -> bool:
    admin = with_database(project.url, "postgres")
    return bool(query(admin, "SELECT 1 FROM pg_database WHERE datname = %s", (name,)))


def test_a_clean_branch_passes_and_the_throwaway_database_is_gone(repo):
    repo.branch("feature")
    repo.project.write("20260103000000", "add_nickname", NICKNAME)
    code, report = repo.check_json()
    assert code == 0 and report["ok"] is True
    assert [m["name"] for m in report["to_run"]] == ["add_nickname"]
    assert report["problems"] == [] and report["apply"]["in_sync"] is True
    assert [a["name"] for a in report["apply"]["applied"]] == ["users", "ipos", "add_nickname"]
    assert report["base"]["ref"] == "main"
    assert not scratch_exists(repo.project, report["apply"]["database"])
    text = repo.check()
    assert text.returncode == 0 and text.stdout.rstrip().endswith("check passed")


def test_an_edit_to_a_base_migration_fails_with_an_annotation_on_the_edited_line(repo):
    repo.branch("feature")
    path = repo.project.migrations / "20260102000000_ipos.sql"
    path.write_text(IPOS.replace("  user_id bigint", "  owner_id bigint"))
    result = repo.check(GITHUB_ACTIONS="true")
    assert result.returncode == 1, result.stderr
    assert "db/migrations/20260102000000_ipos.sql: edited, but migration 20260102000000" in (
        result.stdout
    )
    assert "git checkout main -- db/migrations/20260102000000_ipos.sql" in result.stdout
    assert (
        "::error file=db/migrations/20260102000000_ipos.sql,line=3,"
        "title=audifi-db check%3A edited::" in result.stdout
    )
    assert "Traceback" not in result.stderr


def test_a_deleted_and_a_renamed_migration_fail(repo):
    repo.branch("feature")
    repo.git(
        "mv", "db/migrations/20260102000000_ipos.sql", "db/migrations/20260102000000_offers.sql"
    )
    code, report = repo.check_json()
    assert code == 1
    [renamed] = report["problems"]
    assert renamed["kind"] == "renamed"
    assert (
        "git mv db/migrations/20260102000000_offers.sql db/migrations/20260102000000_ipos.sql"
        in (renamed["hint"])
    )
    repo.git("rm", "-qf", "db/migrations/20260102000000_offers.sql")
    code, report = repo.check_json()
    assert code == 1
    assert [(p["kind"], p["file"]) for p in report["problems"]] == [
        ("deleted", "db/migrations/20260102000000_ipos.sql")
    ]


def test_an_out_of_order_migration_fails_and_the_suggested_git_mv_fixes_it(repo):
    repo.branch("feature")
    repo.project.write("20260101120000", "add_nickname", NICKNAME)
    repo.commit("add nickname")
    code, report = repo.check_json()
    assert code == 1
    [problem] = report["problems"]
    assert problem["kind"] == "out-of-order"
    assert (
        "not newer than 20260102000000_ipos.sql, the newest migration on main"
        in (problem["message"])
    )
    command = problem["hint"].split("`")[1]
    assert command.startswith("git mv db/migrations/20260101120000_add_nickname.sql ")
    repo.git(*command.split()[1:])
    assert repo.check().returncode == 0


def test_two_feature_branches_merged_with_one_version(repo):
    """Two developers ran `audifi-db new` in the same second on two branches."""
    repo.branch("alice")
    repo.project.write("20260103000000", "add_nickname", NICKNAME)
    repo.commit("alice: nickname")
    repo.branch("bob", "main")
    repo.project.write(
        "20260103000000", "add_avatar", "ALTER TABLE users ADD COLUMN avatar text;\n"
    )
    repo.commit("bob: avatar")
    repo.git("merge", "-q", "--no-edit", "alice")
    code, report = repo.check_json()
    assert code == 1
    [problem] = report["problems"]
    assert problem["kind"] == "duplicate-version"
    assert problem["file"] == "db/migrations/20260103000000_add_nickname.sql"
    assert "also used by db/migrations/20260103000000_add_avatar.sql" in problem["message"]
    assert report["apply"]["ok"] is False  # deploy itself refuses two files with one version


def test_a_branch_behind_main_that_gained_a_newer_migration(repo):
    """Alice's newer migration reached main after Bob branched: Bob's must move, whether he
    checks his branch (main moved on) or the pull request's merge commit."""
    repo.branch("bob")
    repo.project.write(
        "20260103000000", "add_avatar", "ALTER TABLE users ADD COLUMN avatar text;\n"
    )
    repo.commit("bob: avatar")
    repo.branch("alice", "main")
    repo.project.write("20260104000000", "add_nickname", NICKNAME)
    repo.commit("alice: nickname")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "alice")
    repo.git("checkout", "-q", "bob")
    code, report = repo.check_json()
    assert code == 1
    assert [p["kind"] for p in report["problems"]] == ["out-of-order"]
    assert (
        "20260104000000_add_nickname.sql, the newest migration on main"
        in (report["problems"][0]["message"])
    )
    repo.git("checkout", "-q", "-b", "pr-merge", "main")  # what CI checks out for a PR
    repo.git("merge", "-q", "--no-edit", "bob")
    code, report = repo.check_json("--base", "main")
    assert code == 1 and [p["kind"] for p in report["problems"]] == ["out-of-order"]


def test_the_default_base_is_origin_main_when_there_is_one(repo):
    repo.branch("feature")
    repo.project.write("20260103000000", "add_nickname", NICKNAME)
    repo.commit("nickname")
    repo.git("checkout", "-q", "main")
    repo.project.write(
        "20260105000000", "add_avatar", "ALTER TABLE users ADD COLUMN avatar text;\n"
    )
    repo.commit("avatar on the remote")
    repo.git("update-ref", "refs/remotes/origin/main", "HEAD")
    repo.git("reset", "-q", "--hard", "HEAD~1")  # local main is behind the remote
    repo.git("checkout", "-q", "feature")
    code, report = repo.check_json()
    assert code == 1 and report["base"]["ref"] == "origin/main"
    assert "the newest migration on origin/main" in report["problems"][0]["message"]


def test_the_job_summary_holds_the_run_order_and_the_lock_table(repo, tmp_path):
    repo.branch("feature")
    repo.project.write("20260103000000", "add_nickname", NICKNAME)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = repo.check(GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 0, result.stdout + result.stderr
    text = summary.read_text()
    assert text.startswith("earlier step\n## ✅ audifi-db check passed")
    assert "| 1 | `db/migrations/20260103000000_add_nickname.sql` | one transaction | 1 |" in text
    assert (
        "| `db/migrations/20260103000000_add_nickname.sql:1` | "
        "`ALTER TABLE users ADD COLUMN nickname text` | ACCESS EXCLUSIVE on users |" in text
    )
    assert "| stage | ms |" in text and "| total |" in text


def test_a_lint_error_in_a_new_migration_fails(repo):
    repo.branch("feature")
    repo.project.write(
        "20260103000000", "index_email", "CREATE INDEX users_email ON users (email);\n"
    )
    result = repo.check(GITHUB_ACTIONS="true")
    assert result.returncode == 1
    assert "check FAILED: 1 lint error(s)" in result.stdout
    assert "::error file=db/migrations/20260103000000_index_email.sql,line=1," in result.stdout


def test_the_new_migrations_are_linted_as_one_run_after_the_base_ones(repo):
    """An index on a table this branch creates blocks nobody; one on a base table does."""
    repo.branch("feature")
    repo.project.write("20260103000000", "coins", "CREATE TABLE coins (id bigint PRIMARY KEY);\n")
    repo.project.write("20260103000001", "coins_idx", "CREATE INDEX coins_id ON coins (id);\n")
    code, report = repo.check_json()
    assert code == 0 and report["lint_errors"] == 0, report["findings"]
    repo.project.write("20260103000002", "ipos_idx", "CREATE INDEX ipos_user ON ipos (user_id);\n")
    code, report = repo.check_json()
    assert code == 1
    assert [(f["file"], f["severity"]) for f in report["findings"]] == [
        ("db/migrations/20260103000002_ipos_idx.sql", "error")
    ]


def test_the_lock_table_knows_the_schema_the_base_migrations_leave(repo):
    """The lock table knows ipos.id (a base migration) and coins.id (this branch) are
    bigint, so -> text rewrites both."""
    repo.branch("feature")
    repo.project.write("20260103000000", "coins", "CREATE TABLE coins (id bigint);\n")
    repo.project.write(
        "20260103000001",
        "retype",
        "-- audifi-db: allow changing-column-type the table is small\n"
        "ALTER TABLE ipos ALTER id TYPE text;\nALTER TABLE coins ALTER id TYPE text;\n",
    )
    code, report = repo.check_json()
    assert code == 0, report
    locks = {(s["file"].rsplit("_", 1)[1], s["line"]): s["locks"] for s in report["locks"]}
    assert locks[("retype.sql", 2)] == ["ACCESS EXCLUSIVE on ipos (rewrites the table)"]
    assert locks[("retype.sql", 3)] == ["ACCESS EXCLUSIVE on coins (rewrites the table)"]


def test_a_migration_that_fails_on_the_server_is_named_with_its_line(repo):
    repo.branch("feature")
    repo.project.write(
        "20260103000000",
        "broken",
        "ALTER TABLE users ADD COLUMN a text;\nALTER TABLE nope ADD COLUMN b text;\n",
    )
    code, report = repo.check_json()
    assert code == 1
    apply = report["apply"]
    assert apply["failed_at"] == {"file": "db/migrations/20260103000000_broken.sql", "line": 2}
    assert 'relation "nope" does not exist' in apply["error"]
    assert [a["name"] for a in apply["applied"]] == ["users", "ipos"]
    assert not scratch_exists(repo.project, apply["database"])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--base", "no-such-branch"), "base no-such-branch is not a commit in this repository"),
        (("--env", "production"), "`check` is refused for the production environment"),
    ],
)
def test_usage_errors_exit_2_with_one_line(repo, args, expected):
    result = repo.check(*args, PRODUCTION_DATABASE_URL=repo.project.url)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_outside_a_git_repository_or_without_a_server_exit_2(project):
    project.write("20260101000000", "users", USERS)
    result = project.cli("check")
    assert result.returncode == 2
    assert "is not inside a git repository" in result.stderr
    Repo(project)
    unreachable = project.cli("check", url="postgresql://postgres@127.0.0.1:9/postgres")
    assert unreachable.returncode == 2
    assert "cannot reach PostgreSQL at 127.0.0.1:9" in unreachable.stderr


EMBEDDED_DATABASES_THEN_STOP = """
import pgserver, sys
server = pgserver.get_server(sys.argv[1], cleanup_mode="stop")
print(server.psql("SELECT datname FROM pg_database"))
server.cleanup()
"""


@pytest.fixture
def embedded_dir():
    """A data folder outside pytest's /tmp/pytest-of-<user>: another pytest session starting
    meanwhile makes that 0700 again, and the embedded server runs as its own user."""
    folder = Path(tempfile.mkdtemp(prefix="audifi-check-embedded-"))
    yield folder / "pgdata"
    shutil.rmtree(folder, ignore_errors=True)


def test_without_a_database_url_the_throwaway_database_is_on_the_embedded_server(
    repo, embedded_dir
):
    repo.branch("feature")
    repo.project.write("20260103000000", "add_nickname", NICKNAME)
    env = repo.project.env(AUDIFI_DB_EMBEDDED_DATA_DIR=str(embedded_dir))
    result = repo.project.cli("check", "--json", url=None, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"a throwaway database on embedded PostgreSQL in {embedded_dir}" in result.stderr
    scratch = json.loads(result.stdout)["apply"]["database"]
    databases = subprocess.run(
        [sys.executable, "-c", EMBEDDED_DATABASES_THEN_STOP, str(embedded_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "audifi_dev" in databases.stdout and scratch not in databases.stdout


def start_slow_check(repo: Repo, seconds: int, *args: str) -> tuple[subprocess.Popen, str]:
    """`check` running a migration that sleeps: the process and its throwaway database."""
    token = f"check-slow-{uuid.uuid4().hex}"
    repo.branch("feature")
    repo.project.write("20260103000000", "slow", f"SELECT pg_sleep({seconds}), '{token}';\n")
    process = repo.project.spawn("check", *args)
    admin = with_database(repo.project.url, "postgres")
    sql = "SELECT datname FROM pg_stat_activity WHERE query LIKE %s AND datname LIKE 'audifi_check_%%'"
    deadline, found = time.monotonic() + 60, []
    while not found and time.monotonic() < deadline and process.poll() is None:
        found = query(admin, sql, (f"%{token}%",))
        time.sleep(0.05)
    assert found, "the slow migration never started"
    return process, found[0][0]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_mid_apply_the_throwaway_database_is_dropped(repo, signum):
    process, scratch = start_slow_check(repo, 60)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    # as in deploy, Ctrl-C cancels the running statement on the server and exits 130
    assert process.returncode == 130 and "interrupted" in stderr
    assert not scratch_exists(repo.project, scratch)


def test_the_throwaway_database_is_dropped_even_when_the_configured_one_went_away(repo):
    """No session is held on the configured database during the run; the drop goes through
    the server's `postgres` database when that one is gone."""
    process, scratch = start_slow_check(repo, 2, "--json")
    configured = urlsplit(repo.project.url).path.lstrip("/")
    admin_execute(
        with_database(repo.project.url, "postgres"), f'DROP DATABASE "{configured}" WITH (FORCE)'
    )
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert json.loads(stdout)["apply"]["database"] == scratch
    assert not scratch_exists(repo.project, scratch)


def test_a_branch_with_a_python_migration_is_linted_around_it_and_applied(repo):
    repo.branch("feature")
    repo.project.write("20260103000000", "add_nickname", NICKNAME)
    (repo.project.migrations / "20260103000001_fill_nickname.py").write_text(
        'def migrate(ctx):\n    ctx.backfill("users", set="nickname = \'x\'", where="nickname IS NULL")\n'
    )
    code, report = repo.check_json()
    assert code == 0 and report["ok"] is True, report
    assert not [f for f in report["findings"] if f["file"].endswith(".py")]
    assert [a["name"] for a in report["apply"]["applied"]][-1] == "fill_nickname"
