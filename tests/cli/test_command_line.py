"""The command line itself: flags before the command, typos, a bare call, a closed pipe."""

import json
import subprocess
import sys


def test_database_flags_are_accepted_before_the_command(project):
    project.write("20260101000001", "t", "create table t (id int);\n")
    result = subprocess.run(
        [sys.executable, "-m", "audifi_db", "--database-url", project.url, "--json", "status"],
        cwd=project.root,
        env=project.env(),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1 and '"pending": 1' in result.stdout


def test_a_mistyped_command_gets_a_suggestion_and_exit_2(project):
    result = project.cli("stauts", url=None)
    assert result.returncode == 2
    assert "unknown command 'stauts' (did you mean status?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bare_call_prints_the_help(project):
    result = project.cli(url=None)
    assert result.returncode == 0
    assert "usage: audifi-db" in result.stdout and "exit codes:" in result.stdout


def test_a_reader_that_goes_away_gets_no_traceback(project):
    for i in range(3000):  # ~100 KiB of output, more than a pipe holds: status blocks on it
        project.write(f"20260101{i:06d}", f"m{i}", f"create table t{i} (id int);\n")
    status = subprocess.Popen(
        [sys.executable, "-m", "audifi_db", "status", "--database-url", project.url],
        cwd=project.root,
        env=project.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        bufsize=0,  # read exactly one line, not a buffer's worth
    )
    status.stdout.readline()
    status.stdout.close()  # like `| head -1`
    stderr = status.stderr.read().decode()
    assert status.wait(timeout=60) == 141
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


def test_an_argument_error_with_json_is_the_envelope_and_one_line(project):
    result = project.cli("deploy", "--json", "--no-such-flag", url=None)
    assert result.returncode == 2
    envelope = json.loads(result.stdout)
    assert envelope["ok"] is False and envelope["error"] == "UsageError"
    assert "--no-such-flag" in envelope["message"]
    assert result.stderr.count("\n") == 1 and "usage:" not in result.stderr
    typo = project.cli("stauts", "--json", url=None)
    assert typo.returncode == 2 and json.loads(typo.stdout)["message"].startswith(
        "unknown command 'stauts'"
    )


def test_env_before_the_command_picks_the_environment(project):
    project.write("20260101000001", "t", "create table t (id int);\n")
    env = project.env(STAGING_DATABASE_URL=project.url)
    result = project.cli("--env", "staging", "deploy", url=None, env=env)
    assert result.returncode == 0, result.stderr
    assert project.query("select environment from audifi_migrations") == [("staging",)]


def exit_codes(text: str) -> dict[str, str]:
    return {code: " ".join(meaning.split()) for code, meaning in text}


def test_help_and_readme_document_the_same_exit_codes():
    import re

    from conftest import REPO

    from audifi_db.cli.main import EPILOG

    block = EPILOG.split("exit codes:\n", 1)[1].split("\n\n", 1)[0]
    in_help = exit_codes(re.findall(r"^  (\d+) +(.+(?:\n {5,}.+)*)", block, re.M))
    readme = (REPO / "README.md").read_text()
    in_readme = exit_codes(re.findall(r"^\| (\d+) \| (.+) \|$", readme, re.M))
    assert in_help == in_readme and set(in_help) == {"0", "1", "2", "130", "141"}


def test_help_is_wrapped_to_the_width_columns_gives(project):
    for columns in (60, 120):
        env = {**project.env(), "COLUMNS": f"{columns}"}
        result = project.cli("deploy", "--help", url=None, env=env)
        usage = result.stdout.split("\n\n")[0].splitlines()
        assert result.returncode == 0 and len(usage) > 1
        assert max(map(len, usage)) <= columns - 2
        assert columns == 60 or len(usage) <= 4  # the wide terminal's lines are used
