"""A long statement shows that it runs: a spinner on a terminal, a line every so often in CI."""

import os
import pty
import re
import subprocess

from audifi_db import operations
from audifi_db.cli.running import StatementProgress
from audifi_db.config import load_settings

SLOW = "create table t (id int);\nselect pg_sleep(3.5);\n"


def test_without_a_terminal_a_line_every_interval_names_the_statement(project):
    project.write("20260101000001", "slow", SLOW)
    settings = load_settings("local", project.url, cwd=project.root, environ={})
    lines: list[str] = []
    listener = StatementProgress(terminal=False, say=lines.append, every=1.0)
    operations.deploy(settings, [listener])
    assert 2 <= len(lines) <= 3, lines
    assert lines[0] == (
        "still running after 1 s: 20260101000001 statement 2 (line 2): select pg_sleep(3.5)"
    )
    assert all("statement 2 " in line for line in lines)  # the quick first one never shows


def test_on_a_terminal_a_spinner_shows_the_statement_and_its_time(project):
    # long enough for the spinner to show and tick even on a loaded machine
    project.write("20260101000001", "slow", SLOW.replace("3.5", "5"))
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        project.command(("deploy",)),
        cwd=project.root,
        env=project.env(TERM="xterm", COLUMNS="120"),
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert child.wait(timeout=60) == 0
    text = screen.decode(errors="replace")
    assert "20260101000001 statement 2 (line 2): select pg_sleep(5)" in text
    assert re.search(r"pg_sleep\(5\)\s+\S*[1-4] s", text), text
    assert "applied  20260101000001_slow" in text


def test_a_failing_display_leaves_the_next_statements_shown(project):
    project.write("20260101000001", "slow", "select pg_sleep(1.5);\nselect pg_sleep(1.5);\n")
    settings = load_settings("local", project.url, cwd=project.root, environ={})
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if len(lines) == 1:
            raise OSError("terminal gone")

    operations.deploy(settings, [StatementProgress(terminal=False, say=say, every=1.0)])
    assert [line.split(": ", 1)[1] for line in lines] == [
        "20260101000001 statement 1 (line 1): select pg_sleep(1.5)",
        "20260101000001 statement 2 (line 2): select pg_sleep(1.5)",
    ]
