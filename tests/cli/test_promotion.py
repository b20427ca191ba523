"""The promotion gate: production refuses what staging has not applied with the same checksum."""

import json

A = "create table a (id int);\n"
B = "create table b (id int);\n"


def production(project, staging_url, *args, stdin=None, **env):
    variables = project.env(PRODUCTION_DATABASE_URL=project.url, **env)
    if staging_url:
        variables["STAGING_DATABASE_URL"] = staging_url
    return project.cli("deploy", "--env", "production", *args, url=None, env=variables, stdin=stdin)


def applied(project):
    return [r[0] for r in project.history() if r[1] == "applied"]


def test_production_refuses_a_migration_staging_has_not_applied(project, staging_url):
    project.write("20260101000001", "a", A)
    assert project.cli("deploy", url=staging_url).returncode == 0
    project.write("20260101000002", "b", B)
    refused = production(project, staging_url)
    assert refused.returncode == 1, refused.stderr
    assert "20260101000002_b.sql is not applied on staging" in refused.stderr
    assert "--skip-staging-check" in refused.stderr
    assert project.query("select to_regclass('a')") == [(None,)]  # nothing at all was applied
    assert project.cli("deploy", url=staging_url).returncode == 0
    passed = production(project, staging_url)
    assert passed.returncode == 0, passed.stderr
    assert applied(project) == ["20260101000001", "20260101000002"]


def test_production_refuses_a_migration_staging_applied_with_another_checksum(project, staging_url):
    path = project.write("20260101000001", "a", A)
    assert project.cli("deploy", url=staging_url).returncode == 0
    path.write_text(A + "create index a_id on a (id);\n")
    refused = production(project, staging_url)
    assert refused.returncode == 1
    assert "20260101000001_a.sql was applied on staging with another checksum" in refused.stderr


def test_the_staging_manifest_stands_in_for_its_database(project, staging_url, tmp_path):
    project.write("20260101000001", "a", A)
    assert project.cli("deploy", url=staging_url).returncode == 0
    manifest = tmp_path / "staging.json"
    status = project.cli("status", "--env", "staging", "--json", url=staging_url)
    manifest.write_text(status.stdout)
    project.write("20260101000002", "b", B)
    refused = production(project, None, "--staging-manifest", str(manifest))
    assert refused.returncode == 1 and f"manifest {manifest}" in refused.stderr
    assert "20260101000002_b.sql is not applied on staging" in refused.stderr
    # deploy-backend.yml feeds it to a one-off container's stdin
    piped = production(project, None, "--staging-manifest", "/dev/stdin", stdin=status.stdout)
    assert piped.returncode == 1 and "20260101000002_b.sql is not applied" in piped.stderr
    (project.migrations / "20260101000002_b.sql").unlink()
    passed = production(project, None, "--staging-manifest", str(manifest))
    assert passed.returncode == 0, passed.stderr
    assert applied(project) == ["20260101000001"]


def test_a_manifest_of_another_environment_or_no_manifest_at_all_is_refused(project, tmp_path):
    project.write("20260101000001", "a", A)
    local = tmp_path / "local.json"
    local.write_text(project.cli("status", "--json").stdout)
    wrong = production(project, None, "--staging-manifest", str(local))
    assert wrong.returncode == 2 and "is the manifest of 'local', not of 'staging'" in wrong.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    bad = production(project, None, "--staging-manifest", str(garbage))
    assert bad.returncode == 2 and "not a status manifest" in bad.stderr
    unknown = production(project, None)
    assert unknown.returncode == 2
    assert "cannot tell what staging applied: STAGING_DATABASE_URL is not set" in unknown.stderr
    assert project.query("select to_regclass('a')") == [(None,)]


def test_skipping_the_check_is_recorded_with_its_reason_and_shown_by_status(project):
    project.write("20260101000001", "a", A)
    result = production(project, None, "--skip-staging-check", "hotfix for incident 42", "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    [override] = [e for e in events if e["event"] == "guard_overridden"]
    assert override["guard"] == "promotion" and "hotfix for incident 42" in override["reason"]
    [notes] = project.query("select notes from audifi_migrations")[0]
    assert notes["skip_staging_check"]["reason"] == "hotfix for incident 42"
    assert notes["skip_staging_check"]["by"]
    env = project.env(PRODUCTION_DATABASE_URL=project.url)
    status = project.cli("status", "--env", "production", url=None, env=env)
    assert "staging check skipped: hotfix for incident 42" in status.stdout
    as_json = json.loads(
        project.cli("status", "--env", "production", "--json", url=None, env=env).stdout
    )
    assert (
        as_json["migrations"][0]["notes"]["skip_staging_check"]["reason"]
        == "hotfix for incident 42"
    )


def test_a_dry_run_says_the_gate_would_refuse(project, staging_url):
    project.write("20260101000001", "a", A)
    result = production(project, staging_url, "--dry-run")
    assert result.returncode == 1
    assert "promotion: WOULD REFUSE" in result.stdout and "not applied on staging" in result.stdout
    assert project.query("select to_regclass('audifi_migrations')") == [(None,)]


def test_a_blank_reason_skips_no_gate_and_a_reason_is_kept_trimmed(project):
    """--skip-staging-check and --skip-backup say the same of a blank reason: one line,
    exit 2, nothing applied, dry run or not."""
    project.write("20260101000001", "a", A)
    for flag in ("--skip-staging-check", "--skip-backup"):
        for dry_run in ([], ["--dry-run"]):
            result = production(project, None, flag, " \t", *dry_run)
            assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
            (error,) = [line for line in result.stderr.splitlines() if "error:" in line]
            assert f"{flag} needs a reason; nothing was applied" in error
    assert project.query("select to_regclass('a')") == [(None,)]
    reasons = ("--skip-staging-check", "  hotfix 42 ", "--skip-backup", " tiny table  ")
    assert production(project, None, *reasons).returncode == 0
    [notes] = project.query("select notes from audifi_migrations")[0]
    assert notes["skip_staging_check"]["reason"] == "hotfix 42"
    assert notes["skip_backup"]["reason"] == "tiny table"


def test_a_chain_of_your_own_preprod_requires_qa(project, staging_url, tmp_path):
    """`requires` on environments of the project's own: preprod deploys only what qa
    applied, read from qa's URL or from its manifest."""
    (project.root / "audifi-db.toml").write_text(
        '[environments.qa]\nurl_variable = "QA_DATABASE_URL"\n\n'
        '[environments.preprod]\nurl_variable = "PREPROD_DATABASE_URL"\nrequires = "qa"\n'
    )
    env = project.env(QA_DATABASE_URL=staging_url, PREPROD_DATABASE_URL=project.url)
    project.write("20260101000001", "a", A)
    refused = project.cli("deploy", "--env", "preprod", url=None, env=env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "1 pending migration(s) not applied on qa first" in refused.stderr
    assert "20260101000001_a.sql is not applied on qa" in refused.stderr
    assert project.query("select to_regclass('a')") == [(None,)]
    assert project.cli("deploy", "--env", "qa", url=None, env=env).returncode == 0
    manifest = tmp_path / "qa.json"
    manifest.write_text(project.cli("status", "--env", "qa", "--json", url=None, env=env).stdout)
    no_qa_url = {k: v for k, v in env.items() if k != "QA_DATABASE_URL"}
    passed = project.cli(
        "deploy", "--env", "preprod", "--staging-manifest", str(manifest), url=None, env=no_qa_url
    )
    assert passed.returncode == 0, passed.stderr
    assert applied(project) == ["20260101000001"]
