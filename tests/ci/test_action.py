"""The composite action's command step, run by bash as the runner runs it, against a real git
repository, PostgreSQL and the installed audifi-db (standing in for the action's own venv)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

STEP = "audifi-db ${{ inputs.command }}"


def action_step(name: str) -> str:
    steps = yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]
    return next(step["run"] for step in steps if step["name"] == name)


@pytest.fixture
def runner_temp(tmp_path) -> Path:
    """$RUNNER_TEMP as the action's install step leaves it: audifi-db in audifi-db/bin."""
    bin_dir = tmp_path / "runner-temp" / "audifi-db" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "audifi-db").symlink_to(Path(sys.executable).parent / "audifi-db")
    return bin_dir.parents[1]


@pytest.fixture
def repo(project):
    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
            cwd=project.root,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    project.write("20260101000000", "users", "CREATE TABLE users (id bigint PRIMARY KEY);\n")
    git("add", "-A")
    git("-c", "commit.gpgsign=false", "commit", "-q", "-m", "base")
    git("update-ref", "refs/remotes/origin/main", "HEAD")  # as a clone has it
    git("checkout", "-q", "-b", "feature")
    project.write("20260102000000", "add_email", "ALTER TABLE users ADD COLUMN email text;\n")
    return project


def run_step(project, runner_temp, **inputs: str) -> subprocess.CompletedProcess:
    env = project.env(
        RUNNER_TEMP=str(runner_temp),
        DATABASE_URL=project.url,
        COMMAND=inputs.get("command", "check"),
        TARGET=inputs.get("environment", "local"),
        BASE=inputs.get("base", ""),
        ARGS=inputs.get("args", ""),
        PR_BASE=inputs.get("pr_base", ""),
    )
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", action_step(STEP)],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_check_on_a_pull_request_compares_with_its_base_branch(repo, runner_temp):
    result = run_step(repo, runner_temp, pr_base="main", args="--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["base"]["ref"] == "origin/main"
    assert [m["name"] for m in report["to_run"]] == ["add_email"]


def test_the_base_input_wins_and_a_failing_check_fails_the_step(repo, runner_temp):
    (repo.migrations / "20260101000000_users.sql").write_text("CREATE TABLE users (id int);\n")
    result = run_step(repo, runner_temp, base="main", pr_base="elsewhere")
    assert result.returncode == 1
    assert "base: main at" in result.stdout and "edited" in result.stdout


def test_deploy_and_status_run_against_the_environment(repo, runner_temp):
    status = run_step(repo, runner_temp, command="status")
    assert status.returncode == 1 and "pending" in status.stdout
    deploy = run_step(repo, runner_temp, command="deploy")
    assert deploy.returncode == 0, deploy.stderr
    assert run_step(repo, runner_temp, command="status").returncode == 0


def test_an_unknown_command_is_refused_with_an_annotation(repo, runner_temp):
    result = run_step(repo, runner_temp, command="rm -rf /")
    assert result.returncode == 2
    assert result.stdout.startswith("::error title=audifi-db action::command must be check,")


def test_the_pip_cache_key_follows_the_actions_own_dependencies(tmp_path):
    output = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_ACTION_PATH": str(REPO), "RUNNER_OS": "Linux"}
    env["GITHUB_OUTPUT"] = str(output)
    script = action_step("Pip cache key")
    subprocess.run(["bash", "-eo", "pipefail", "-c", script], env=env, check=True, timeout=30)
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
    assert output.read_text() == f"key=audifi-db-pip-Linux-{digest}\n"
