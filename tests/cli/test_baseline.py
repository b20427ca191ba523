"""`audifi-db baseline`: adopting a database that plain psql made from the same SQL."""

import json
import shutil
import subprocess

from conftest import REPO, Project, psql

MIGRATIONS = sorted((REPO / "db" / "migrations").glob("*.sql"))


def adopted(project: Project, upto: int) -> None:
    """The project has AudiFi's migrations; its database got the first `upto` from psql."""
    for path in MIGRATIONS:
        shutil.copy(path, project.migrations / path.name)
    for path in MIGRATIONS[:upto]:
        subprocess.run(
            [psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(path), project.url],
            check=True,
            capture_output=True,
        )


def test_baseline_records_without_running_and_deploy_applies_the_rest(project):
    adopted(project, 3)
    version = MIGRATIONS[2].name[:14]
    result = project.cli("baseline", version)
    assert result.returncode == 0, result.stderr
    assert f"audifi-db: local: {project.url}" in result.stderr
    assert "3 migrations recorded as baselined, no SQL run" in result.stdout
    states = [(v, s) for v, s, *_ in project.history()]
    assert states == [(path.name[:14], "baselined") for path in MIGRATIONS[:3]]
    status = json.loads(project.cli("status", "--json").stdout)
    rest = len(MIGRATIONS) - 3
    assert status["counts"]["baselined"] == 3 and status["counts"]["pending"] == rest
    deploy = project.cli("deploy")
    assert deploy.returncode == 0, deploy.stderr
    assert f"{rest} migration(s) applied" in deploy.stdout
    assert project.cli("status").returncode == 0


def test_baseline_is_refused_on_a_database_with_history(project):
    adopted(project, 1)
    first = MIGRATIONS[0].name[:14]
    assert project.cli("baseline", first).returncode == 0
    again = project.cli("baseline", MIGRATIONS[1].name[:14])
    assert again.returncode == 2
    assert "already has a migration history (1 version(s), newest " in again.stderr
    assert project.query("select count(*) from audifi_migrations") == [(1,)]


def test_baseline_of_an_unknown_version_names_the_newest_and_writes_nothing(project):
    adopted(project, 0)
    result = project.cli("baseline", "20990101000000", "--json")
    assert result.returncode == 2
    error = json.loads(result.stdout)
    assert error["ok"] is False and "no migration 20990101000000" in error["message"]
    assert MIGRATIONS[-1].name[:14] in error["hint"]
    assert project.query("select to_regclass('audifi_migrations')") == [(None,)]


def test_baseline_of_an_empty_database_warns(project):
    adopted(project, 0)
    result = project.cli("baseline", MIGRATIONS[0].name[:14])
    assert result.returncode == 0
    assert "warning: no table in public" in result.stderr
