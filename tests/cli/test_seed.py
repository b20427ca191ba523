"""`audifi-db seed` on AudiFi's own schema and sample data, through the real CLI."""

import json
import subprocess
import sys

from conftest import REPO, query


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audifi_db", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_seed_loads_the_sample_data_into_a_migrated_local_database(deployed_url):
    result = cli("seed", "--database-url", deployed_url, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files"][0]["rows"] > 0
    users = query(deployed_url, "select count(*) from users")
    again = cli("seed", "--database-url", deployed_url)
    assert again.returncode == 0 and "skipped  db/seeds/001_sample.sql" in again.stdout
    assert query(deployed_url, "select count(*) from users") == users
    recorded = "select version, state from audifi_migrations where kind = 'seed'"
    assert query(deployed_url, recorded) == [("001_sample", "applied")]


def test_seed_needs_the_migrations_applied_first(db_url):
    result = cli("seed", "--database-url", db_url)
    assert result.returncode == 1 and "audifi-db dev" in result.stderr


def test_seed_is_refused_for_staging_and_production(deployed_url):
    for env in ("staging", "production"):
        result = cli("seed", "--env", env, "--database-url", deployed_url)
        assert result.returncode == 2 and f"refused for the {env}" in result.stderr
