import pytest

from audifi_db.config import load_settings, redact
from audifi_db.errors import ConfigError


def settings(tmp_path, toml="", env="local", url=None, **environ):
    (tmp_path / "audifi-db.toml").write_text(toml)
    return load_settings(env, url, cwd=tmp_path, environ=environ)


def test_defaults_and_environment_urls(tmp_path):
    s = settings(tmp_path, STAGING_DATABASE_URL="postgresql://u:p@h/s", env="staging")
    assert s.database_url == "postgresql://u:p@h/s" and s.protected
    assert s.migrations.dir == tmp_path / "db" / "migrations"
    assert s.lock.wait_seconds == 60
    local = settings(tmp_path)
    assert local.database_url is None and not local.protected  # embedded fallback


def test_precedence_file_then_variable_then_flag(tmp_path):
    toml = '[lock]\nwait_seconds = 5\n[history]\ntable = "h"\n'
    assert settings(tmp_path, toml).lock.wait_seconds == 5
    assert settings(tmp_path, toml, AUDIFI_DB_LOCK_WAIT_SECONDS="7").lock.wait_seconds == 7
    s = settings(tmp_path, toml, url="postgresql://flag/db", DATABASE_URL="postgresql://env/db")
    assert s.database_url == "postgresql://flag/db" and s.history.table == "h"


def test_missing_variable_for_staging_names_it(tmp_path):
    with pytest.raises(ConfigError, match="STAGING_DATABASE_URL is not set"):
        settings(tmp_path, env="staging")


@pytest.mark.parametrize(
    "toml, environ, message",
    [
        ("[lock]\nwait = 5\n", {}, "unknown key 'wait' in \\[lock\\]"),
        ("[lock]\nwait_seconds = 'soon'\n", {}, "wait_seconds = 'soon' has the wrong type"),
        ("[locks]\n", {}, "unknown section \\[locks\\]"),
        ("", {"AUDIFI_DB_LOCK_WAIT_SECONDS": "soon"}, "AUDIFI_DB_LOCK_WAIT_SECONDS='soon'"),
        ("", {"AUDIFI_DB_LOCK_WAITSECONDS": "5"}, "unknown setting variable"),
        ("[environments.production]\nprotected = 'no'\n", {}, "protected"),
        ("[lock\n", {}, "TOML"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, toml, environ, message):
    with pytest.raises(ConfigError, match=message):
        settings(tmp_path, toml, **environ)


def test_production_stays_protected_whatever_the_file_says(tmp_path):
    toml = "[environments.production]\nprotected = false\n"
    s = settings(tmp_path, toml, env="production", PRODUCTION_DATABASE_URL="postgresql://h/p")
    assert s.protected


def test_unknown_environment(tmp_path):
    with pytest.raises(ConfigError, match="unknown environment 'prod'"):
        settings(tmp_path, env="prod")


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://bob:s3cret@db:5432/app", "postgresql://bob:***@db:5432/app"),
        ("postgresql://bob@db/app", "postgresql://bob@db/app"),
        (
            "postgresql://db/app?password=s3cret&sslmode=require",
            "postgresql://db/app?password=***&sslmode=require",
        ),
    ],
)
def test_redact(url, shown):
    assert redact(url) == shown


def test_lint_server_version_is_read_as_postgresql_writes_it(tmp_path):
    assert settings(tmp_path, "[lint]\nserver_version = 15\n").lint.server_version == 150000
    assert settings(tmp_path, "[lint]\nserver_version = 150004\n").lint.server_version == 150004
    assert settings(tmp_path).lint.server_version == 0


def test_sections_are_overridden_per_environment_in_the_documented_order(tmp_path):
    toml = (
        "[lock]\nwait_seconds = 5\n"
        "[environments.production.lock]\nwait_seconds = 300\n"
        "[backup]\nkeep_last = 3\n"
    )
    prod = {"PRODUCTION_DATABASE_URL": "postgresql://h/p"}
    assert settings(tmp_path, toml).lock.wait_seconds == 5
    assert settings(tmp_path, toml, env="production", **prod).lock.wait_seconds == 300
    variable = settings(tmp_path, toml, env="production", AUDIFI_DB_LOCK_WAIT_SECONDS="7", **prod)
    assert variable.lock.wait_seconds == 7  # the section's variable beats the file
    per_env = settings(
        tmp_path,
        toml,
        env="production",
        AUDIFI_DB_LOCK_WAIT_SECONDS="7",
        AUDIFI_DB_ENVIRONMENTS_PRODUCTION_LOCK_WAIT_SECONDS="9",
        **prod,
    )
    assert per_env.lock.wait_seconds == 9  # the environment's variable beats all


def test_backups_before_deploys_are_on_for_staging_and_production_only_by_default(tmp_path):
    assert not settings(tmp_path).backup.before_deploy
    staging = settings(tmp_path, env="staging", STAGING_DATABASE_URL="postgresql://h/s")
    assert staging.backup.before_deploy and staging.requires == ""
    prod = settings(tmp_path, env="production", PRODUCTION_DATABASE_URL="postgresql://h/p")
    assert prod.backup.before_deploy and prod.requires == "staging"
    off = settings(
        tmp_path, "[backup]\nbefore_deploy = false\n", env="staging", STAGING_DATABASE_URL="x"
    )
    assert not off.backup.before_deploy  # the file beats the built-in default


def test_an_unknown_section_of_an_environment_is_named(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'locks' in \\[environments.production\\]"):
        settings(tmp_path, "[environments.production.locks]\nwait_seconds = 1\n")
