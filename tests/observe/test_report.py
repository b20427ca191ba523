"""`audifi-db history` and `audifi-db report`, through the real CLI; the report looked at
in a real headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import psycopg2
import pytest
from observe_fixtures import browser_fixture  # noqa: F401
from observe_helpers import LOCKING, deploy_while_a_session_waits, session_waiting, wait_for

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # git-ignored
XSS = """SELECT '<script>document.title="owned"</script>'::int;\n"""


@pytest.fixture
def history_made(project):
    """Applied migrations (one that a session waited on), a failed one whose statement holds
    a <script>, and a pending one with a lint error."""
    # the lock wait unbounded: the migration made to wait must hold its table that long
    env = project.env(
        AUDIFI_DB_METRICS_ENABLED="true",
        AUDIFI_DB_METRICS_WATCH="true",
        AUDIFI_DB_ONLINE_LOCK_TIMEOUT_MS="0",
    )
    project.write(
        "20260101000001",
        "create",
        "CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t SELECT generate_series(1, 100);\n",
    )
    assert project.cli("deploy", env=env).returncode == 0
    project.write("20260101000002", "lock", LOCKING)
    waiter = deploy_while_a_session_waits(project, lambda: project.cli("deploy", env=env))
    project.write("20260101000003", "xss", XSS)
    project.write("20260101000004", "index", "CREATE INDEX t_id_idx ON t (id);\n")
    assert project.cli("deploy", env=env).returncode == 1
    return waiter


def test_history_newest_first_and_one_version_in_full(project, history_made):
    overview = project.cli("history")
    assert overview.returncode == 0
    versions = re.findall(r"^\S+ \S+\s+(\d{14})", overview.stdout, re.M)
    assert versions == ["20260101000003", "20260101000002", "20260101000001"]
    lock_line = next(line for line in overview.stdout.splitlines() if "20260101000002" in line)
    assert "AccessExclusive on public.t" in lock_line and re.search(r"\d{4,} ms$", lock_line)

    listed = json.loads(project.cli("history", "--json", "--limit", "2").stdout)
    assert [row["version"] for row in listed] == ["20260101000003", "20260101000002"]
    assert listed[0]["state"] == "failed" and listed[0]["sqlstate"] == "22P02"
    assert listed[1]["metrics"]["waiters"][0]["pid"] == history_made

    full = project.cli("history", "20260101000002").stdout
    assert "attempt" in full and "20260101000002_lock  applied" in full
    assert "lock        AccessExclusiveLock on public.t (table)" in full
    assert (
        f"waiter      pid {history_made} postgres" in full
        and "wanted AccessShareLock on public.t" in full
    )

    refused = project.cli("history", "--limit", "0")
    assert refused.returncode == 2
    assert refused.stderr == "audifi-db: error: --limit 0 must be 1 or more — e.g. --limit 50\n"


def test_the_report_shows_each_environment_in_a_real_chromium(
    project, history_made, browser, tmp_path
):
    page_file = tmp_path / "report.html"
    done = project.cli(
        "report", "--html", str(page_file), url=None, env=project.env(DATABASE_URL=project.url)
    )
    assert done.returncode == 0, done.stderr
    assert "report of local, staging, production written to" in done.stderr

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(page_file.as_uri())
    assert page.title() == "audifi-db report"  # the migration's <script> did not run
    assert page.locator("script").count() == 0

    local = page.locator("#env-local")
    assert local.locator(".badge").inner_text() == "failed"
    assert "4 migrations: 2 applied, 1 failed, 1 pending" in local.inner_text()
    failures = local.locator("table").filter(has_text="statement").last.inner_text()
    assert """SELECT '<script>document.title="owned"</script>'::int""" in failures
    server_said = 'invalid input syntax for type integer: "<script>document.title="owned"</script>"'
    assert server_said in failures
    assert local.locator("svg.timeline rect").count() == 3  # one bar per attempt
    locks = local.locator("table", has_text="waiters").inner_text()
    assert "public.t" in locks and "AccessExclusiveLock" in locks
    assert f"pid {history_made} postgres" in locks and "wanted AccessShareLock for" in locks
    sizes = local.locator("table", has_text="indexes built").inner_text()
    assert "public.t_pkey" in sizes and "statement 2 (line 2): 100" in sizes
    findings = local.locator("table", has_text="rule").inner_text()
    assert (
        "creating-index-non-concurrently" in findings and "20260101000004_index.sql:1" in findings
    )

    for name in ("staging", "production"):
        section = page.locator(f"#env-{name}")
        assert section.locator(".badge").inner_text() == "not configured"
        assert f"{name.upper()}_DATABASE_URL is not set" in section.inner_text()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    shutil.copy(tmp_path / "report.png", ARTIFACTS / "report.png")
    page.emulate_media(media="print")
    assert page.locator("nav").is_hidden()  # the links are for the screen only
    page.close()


def test_the_report_needs_no_script(project, history_made, browser, tmp_path):
    page_file = tmp_path / "report.html"
    done = project.cli("report", "--html", str(page_file), "--env", "local")
    assert done.returncode == 0, done.stderr
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(page_file.as_uri())
    assert page.locator("#env-local .badge").inner_text() == "failed"
    assert page.locator("#env-local svg.timeline rect").count() == 3
    assert page.locator("section").count() == 1
    context.close()


def test_a_migration_edited_after_it_was_applied_shows_as_drifted(project, browser, tmp_path):
    project.write("20260101000001", "create", "CREATE TABLE t (id int);\n")
    edited = project.write("20260101000002", "index", "CREATE INDEX t_id ON t (id);\n")
    assert project.cli("deploy").returncode == 0
    edited.write_text("CREATE INDEX t_id ON t (id DESC);\n")
    page_file = tmp_path / "report.html"
    done = project.cli("report", "--html", str(page_file), "--env", "local")
    assert done.returncode == 0, done.stderr

    page = browser.new_page()
    page.goto(page_file.as_uri())
    local = page.locator("#env-local")
    badge = local.locator(".badge")
    assert badge.inner_text() == "drifted checksums" and "bad" in badge.get_attribute("class")
    assert "2 migrations: 1 applied, 1 changed" in local.inner_text()
    attention = local.locator("table", has_text="last error").inner_text()
    page.close()
    assert "20260101000002\tindex\tchanged" in attention
    assert "20260101000001" not in attention  # the untouched one needs no attention


def test_lock_retries_and_a_lock_deadline_are_kept_in_history_and_shown(project, browser, tmp_path):
    env = project.env(AUDIFI_DB_METRICS_ENABLED="true")
    project.query("create table t (id int)")
    project.write("20260101000001", "add_c", "ALTER TABLE t ADD COLUMN c int;\n")
    blocker = psycopg2.connect(project.url, application_name="nightly <report>")
    blocker.cursor().execute("select count(*) from t")  # holds ACCESS SHARE on t
    pid = blocker.get_backend_pid()
    runner = project.spawn("deploy", env=env)
    wait_for(lambda: session_waiting(project, "ALTER TABLE t"), what="the migration to wait")
    time.sleep(1)  # each wait is cut at lock_timeout (200 ms): it was retried meanwhile
    blocker.rollback()
    assert runner.wait(timeout=60) == 0
    blocker.cursor().execute("select count(*) from t")
    project.write(
        "20260101000002",
        "add_d",
        "INSERT INTO t SELECT generate_series(1, 5);\nALTER TABLE t ADD COLUMN d int;\n",
    )
    gave_up = project.cli("deploy", env={**env, "AUDIFI_DB_ONLINE_RETRY_DEADLINE_SECONDS": "1"})
    blocker.close()
    assert gave_up.returncode == 1

    rows = {r["version"]: r["metrics"] for r in json.loads(project.cli("history", "--json").stdout)}
    retried = rows["20260101000001"]["lock_waits"]
    assert retried["attempts"] == retried["lock_timeouts"] + 1 >= 2
    assert [(b["pid"], b["application"]) for b in retried["blockers"]] == [
        (pid, "nightly <report>")
    ]
    failed = rows["20260101000002"]["lock_waits"]
    assert failed["attempts"] == failed["lock_timeouts"] >= 2
    assert [b["pid"] for b in failed["blockers"]] == [pid]
    # what was measured before the failure: the rows of statement 1 (rolled back with it)
    assert rows["20260101000002"]["rows"] == [{"statement": 1, "line": 1, "rows": 5}]

    who = f"pid {pid} (user postgres, application 'nightly <report>', "
    full = project.cli("history", "20260101000002").stdout
    n = failed["attempts"]
    assert f"lock waits  {n} attempts, {n} cut short by lock_timeout" in full
    assert f"blocked by  {who}" in full
    assert "rows        statement 1 (line 1): 5" in full
    applied = project.cli("history", "20260101000001").stdout
    assert f"lock waits  {retried['attempts']} attempts, " in applied and who in applied

    page_file = tmp_path / "report.html"
    assert project.cli("report", "--html", str(page_file), "--env", "local").returncode == 0
    page = browser.new_page()
    page.goto(page_file.as_uri())
    waits = page.locator("#env-local table", has_text="blocked by").inner_text()
    page.close()
    assert f"20260101000001_add_c\tapplied\t{retried['attempts']}\t{who}" in waits
    assert f"20260101000002_add_d\tfailed\t{failed['attempts']}\t{who}" in waits


def test_an_unwritable_report_is_one_line(project):
    done = project.cli("report", "--html", "/nonexistent/folder/r.html", "--env", "local")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "audifi-db: error: cannot write /nonexistent/folder/r.html: No such file or directory"
    )


def test_an_environment_without_a_url_is_shown_as_not_configured(project, tmp_path):
    page = tmp_path / "report.html"
    done = project.cli("report", "--html", str(page), url=None)
    assert done.returncode == 0, done.stderr
    text = page.read_text()
    assert text.count('<span class="badge off">not configured</span>') == 3
    assert "DATABASE_URL is not set and there is no embedded database yet" in text
