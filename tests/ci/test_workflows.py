"""The workflows, the composite action, the compose file and the pre-commit hooks, judged by
the tools that read them: actionlint, zizmor (no finding at its default persona), the
compose-spec and GitHub JSON schemas, pre-commit, and audifi-db's own argument parser."""

from __future__ import annotations

import json
import re
import shlex

import pytest
import yaml

from audifi_db.cli.main import COMMANDS, build_parser

from .conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTION = REPO / "action.yml"
COMPOSE = REPO / "deploy" / "compose.yaml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
BROKEN_WORKFLOW = """\
name: broken
on: pull_request_target
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-dept: 0
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo "${{ github.nope }}"
"""


def load(path):
    return yaml.safe_load(path.read_text())


def test_the_expected_files_are_there():
    names = [path.name for path in WORKFLOWS]
    assert names == ["db-check.yml", "db-migrations.yml", "deploy-backend.yml"]
    assert ACTION.is_file() and COMPOSE.is_file() and HOOKS.is_file()


def test_actionlint_finds_nothing_in_the_workflows(actionlint):
    results = actionlint(*WORKFLOWS)
    assert set(results) == {str(path) for path in WORKFLOWS}
    assert {file: errors for file, errors in results.items() if errors} == {}


def test_actionlint_finds_nothing_in_the_composite_actions_steps(actionlint, tmp_path):
    """actionlint reads workflows only: the action's steps are linted as a reusable
    workflow whose inputs are the action's (expressions, contexts, step syntax)."""
    action = load(ACTION)
    inputs = {
        name: {"type": "string", "required": False, "default": spec.get("default", "")}
        for name, spec in action["inputs"].items()
    }
    workflow = {
        "name": f"the {action['name']} action",
        "on": {"workflow_call": {"inputs": inputs}},
        "permissions": {},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    path = tmp_path / "action-as-workflow.yml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False))
    assert actionlint(path) == {str(path): []}


def test_actionlint_catches_a_broken_workflow(actionlint, tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text(BROKEN_WORKFLOW)
    messages = [error["message"] for error in actionlint(path)[str(path)]]
    assert any('"nope" is not defined' in message for message in messages), messages
    assert any('"fetch-dept" is not defined' in message for message in messages), messages


def test_zizmor_finds_nothing_in_the_workflows_and_the_action(zizmor):
    result = zizmor(*WORKFLOWS, ACTION)
    findings = json.loads(result.stdout)
    assert [(f["ident"], f["locations"][0]["symbolic"]["key"]) for f in findings] == []
    assert result.returncode == 0, result.stderr


def test_zizmor_catches_an_unpinned_action_and_a_template_injection(zizmor, tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text(BROKEN_WORKFLOW)
    result = zizmor(path)
    found = {finding["ident"] for finding in json.loads(result.stdout)}
    assert {"unpinned-uses", "template-injection", "excessive-permissions"} <= found
    assert result.returncode != 0


def test_the_files_match_their_published_schemas(check_jsonschema):
    for schema, paths in [
        ("github-workflows", WORKFLOWS),
        ("github-actions", [ACTION]),
        ("compose-spec", [COMPOSE]),
    ]:
        result = check_jsonschema(schema, *paths)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_schema_rejects_a_misspelt_key(check_jsonschema, tmp_path):
    compose = load(COMPOSE)
    compose["services"]["api"]["helthcheck"] = compose["services"]["api"].pop("healthcheck")
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(compose))
    result = check_jsonschema("compose-spec", path)
    assert result.returncode == 1 and "helthcheck" in result.stdout


def test_every_action_is_pinned_to_a_full_commit_with_its_version_beside_it():
    pins = []
    for path in [*WORKFLOWS, ACTION]:
        for line in path.read_text().splitlines():
            match = re.match(r"\s*(?:- )?uses: (\S+)(.*)", line)
            if match:
                pins.append((path.name, match[1], match[2].strip()))
    assert pins, "no `uses:` found"
    for name, ref, comment in pins:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}", ref), (name, ref)
        assert re.fullmatch(r"# v\d+\.\d+\.\d+", comment), (name, ref, comment)


def jobs():
    for path in WORKFLOWS:
        for job_id, job in load(path)["jobs"].items():
            yield path.name, job_id, job


def test_least_privilege_and_one_migrating_run_per_environment():
    for path in WORKFLOWS:
        assert load(path)["permissions"] == {}, path.name
    for workflow, job_id, job in jobs():
        assert job["permissions"] == {"contents": "read"}, (workflow, job_id)
        if "concurrency" in job and "environment" in job:
            concurrency = job["concurrency"]
            assert concurrency["cancel-in-progress"] is False, (workflow, job_id)
            assert concurrency["group"].startswith("audifi-db-"), (workflow, job_id)
    migrating = {(w, j): job for w, j, job in jobs() if j in ("staging", "production", "deploy")}
    assert set(migrating) == {
        ("db-migrations.yml", "staging"),
        ("db-migrations.yml", "production"),
        ("deploy-backend.yml", "deploy"),
    }
    for (workflow, job_id), job in migrating.items():
        assert "concurrency" in job and "environment" in job, (workflow, job_id)


def test_the_migration_jobs_use_their_environments_secret_and_cache_pip():
    text = (REPO / ".github" / "workflows" / "db-migrations.yml").read_text()
    workflow = yaml.safe_load(text)
    for job_id, variable in [("staging", "STAGING"), ("production", "PRODUCTION")]:
        job = workflow["jobs"][job_id]
        assert job["environment"] == job_id
        runs = [step for step in job["steps"] if "run" in step]
        commands = [step["run"].split()[:2] for step in runs if "audifi-db" in step["run"]]
        assert commands == [["audifi-db", "lint"], ["audifi-db", "deploy"], ["audifi-db", "status"]]
        for step in runs:
            if "audifi-db" in step["run"]:
                secret = f"${{{{ secrets.{variable}_DATABASE_URL }}}}"
                assert step["env"][f"{variable}_DATABASE_URL"] == secret, step["name"]
                others = set(step["env"]) - {f"{variable}_DATABASE_URL"}
                backs_up = step["run"].startswith("audifi-db deploy")
                assert others == (set(BACKUP_ENV) if backs_up else set())
        python = next(s for s in job["steps"] if "setup-python" in s.get("uses", ""))
        assert python["with"]["cache"] == "pip"
    production = workflow["jobs"]["production"]
    assert production["needs"] == "staging-manifest"
    assert "--staging-manifest staging.json" in text


BACKUP_ENV = {
    "AWS_ACCESS_KEY_ID": "${{ secrets.BACKUP_AWS_ACCESS_KEY_ID }}",
    "AWS_SECRET_ACCESS_KEY": "${{ secrets.BACKUP_AWS_SECRET_ACCESS_KEY }}",
    "AUDIFI_DB_BACKUP_S3_URL": "${{ vars.BACKUP_S3_URL }}",
    "AUDIFI_DB_BACKUP_S3_ENDPOINT_URL": "${{ vars.BACKUP_S3_ENDPOINT_URL }}",
}


def deploy_steps():
    """Every step of the workflows that runs `audifi-db deploy` (staging or production)."""
    for path in WORKFLOWS:
        for _, job_id, job in jobs_of(path):
            for step in job["steps"]:
                if "audifi-db deploy" in " ".join(step.get("run", "").split()):
                    yield path.name, job_id, step


def test_every_deploy_step_sends_its_backup_to_the_environments_bucket():
    """The dump a deploy takes first leaves the runner (or the one-off container) for the
    bucket the GitHub environment's BACKUP_S3_URL variable names, with its credentials;
    inside a container, each variable is handed over with -e."""
    steps = list(deploy_steps())
    assert {(workflow, job) for workflow, job, _ in steps} == {
        ("db-migrations.yml", "staging"),
        ("db-migrations.yml", "production"),
        ("deploy-backend.yml", "deploy"),
    }
    for workflow, _, step in steps:
        env = step["env"]
        assert {name: env.get(name) for name in BACKUP_ENV} == BACKUP_ENV, (workflow, step["name"])
        if "docker compose run" in step["run"]:
            passed = set(re.findall(r"-e (\w+)", step["run"]))
            assert set(BACKUP_ENV) <= passed, (workflow, step["name"])
            # the container goes with --rm: a dump kept in it is refused as on a hosted runner
            assert {"GITHUB_ACTIONS", "RUNNER_ENVIRONMENT"} <= passed, (workflow, step["name"])


def audifi_db_calls():
    """Every `audifi-db COMMAND ARGS` a workflow runs, with shell variables as placeholders."""
    for path in WORKFLOWS:
        for _, _, job in jobs_of(path):
            for step in job["steps"]:
                for match in re.finditer(
                    r"audifi-db (\w[\w-]*)([^|&;<>\n\\]*)", step.get("run", "")
                ):
                    args = [re.sub(r"\$\w+", "x", a) for a in shlex.split(match[2])]
                    yield path.name, [match[1], *args]


def jobs_of(path):
    return [(path.name, job_id, job) for job_id, job in load(path)["jobs"].items()]


def test_the_workflows_call_real_commands_with_real_flags():
    calls = list(audifi_db_calls())
    assert {call[0] for _, call in calls} == {"lint", "deploy", "status", "check"}
    parser = build_parser()
    for workflow, argv in calls:
        _, unknown = parser.parse_known_args(argv)
        assert unknown == [], (workflow, argv, unknown)


def test_the_backend_deploy_migrates_in_a_one_off_container_before_up_wait():
    compose = load(COMPOSE)
    api = compose["services"]["api"]
    assert api["healthcheck"]["test"][0] == "CMD" and api["healthcheck"]["retries"] >= 1
    workflow = load(REPO / ".github" / "workflows" / "deploy-backend.yml")
    job = workflow["jobs"]["deploy"]
    assert job["env"]["COMPOSE_FILE"] == str(COMPOSE.relative_to(REPO))
    runs = [step.get("run", "") for step in job["steps"]]
    migrate = next(i for i, r in enumerate(runs) if "docker compose run --rm" in r)
    up = next(i for i, r in enumerate(runs) if "docker compose up -d --wait" in r)
    assert migrate < up
    assert "api audifi-db deploy --env" in " ".join(runs[migrate].split())
    rollback = next(s for s in job["steps"] if s["name"].startswith("Roll back"))
    assert rollback["if"] == "failure() && steps.up.outcome == 'failure'"
    assert 'API_IMAGE_TAG="$PREVIOUS_TAG" docker compose up -d --wait' in rollback["run"]


def test_a_production_backend_deploy_hands_its_gate_stagings_history():
    """As in db-migrations.yml: staging's history is read in a job of the staging
    environment and handed over as an artifact; the one-off container of the production
    deploy reads it on its stdin and never gets staging's secret."""
    workflows = REPO / ".github" / "workflows"
    workflow = load(workflows / "deploy-backend.yml")
    reader = workflow["jobs"]["staging-manifest"]
    assert reader["environment"] == "staging"
    assert reader["if"] == "inputs.environment == 'production'"
    writes = next(s for s in reader["steps"] if "audifi-db status" in s.get("run", ""))
    assert writes["env"] == {"STAGING_DATABASE_URL": "${{ secrets.STAGING_DATABASE_URL }}"}
    migrations = load(workflows / "db-migrations.yml")["jobs"]["staging-manifest"]
    assert writes["run"] == next(
        s["run"] for s in migrations["steps"] if "status" in s.get("run", "")
    )
    upload = next(s for s in reader["steps"] if "upload-artifact" in s.get("uses", ""))
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "staging-manifest"
    assert "needs.staging-manifest.result == 'skipped'" in deploy["if"]  # staging goes on
    steps = deploy["steps"]
    download = next(i for i, s in enumerate(steps) if "download-artifact" in s.get("uses", ""))
    assert steps[download]["with"]["name"] == upload["with"]["name"]
    assert steps[download]["if"] == "inputs.environment == 'production'"
    migrate = {
        s["if"]: (i, s) for i, s in enumerate(steps) if "docker compose run" in s.get("run", "")
    }
    at, production = migrate["inputs.environment == 'production'"]
    command = " ".join(production["run"].split())
    assert download < at and "docker compose run --rm -T " in command
    assert command.endswith(
        "api audifi-db deploy --env production --staging-manifest /dev/stdin < staging.json"
    )
    assert "STAGING_DATABASE_URL" not in command and "STAGING_DATABASE_URL" not in production["env"]
    _, staging = migrate["inputs.environment == 'staging'"]
    command = " ".join(staging["run"].split())
    assert command.endswith("api audifi-db deploy --env staging")
    assert "PRODUCTION_DATABASE_URL" not in command + str(staging["env"])


def test_the_pre_commit_hooks_are_valid_and_run_real_commands(pre_commit, tmp_path):
    result = pre_commit("validate-manifest", HOOKS)
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {hook["id"]: hook for hook in load(HOOKS)}
    assert hooks["audifi-db-lint"]["entry"] == "audifi-db lint"
    assert hooks["audifi-db-check"]["stages"] == ["pre-push"]
    assert all(hook["entry"].split()[1] in COMMANDS for hook in hooks.values())
    broken = tmp_path / "hooks.yaml"
    broken.write_text(HOOKS.read_text().replace("[pre-push]", "[on-a-whim]"))
    result = pre_commit("validate-manifest", broken)
    assert result.returncode != 0 and "on-a-whim" in result.stdout + result.stderr


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION, HOOKS, COMPOSE], ids=lambda p: p.name)
def test_every_file_parses_as_yaml(path):
    assert isinstance(load(path), dict | list)
