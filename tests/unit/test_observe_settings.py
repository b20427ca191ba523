"""The [metrics] and [alerts] settings: defaults per environment and refused values."""

import pytest

from audifi_db.config import load_settings
from audifi_db.errors import ConfigError

URL = "postgresql://u@h/db"


@pytest.mark.parametrize(
    ("environment", "on"), [("local", False), ("staging", True), ("production", True)]
)
def test_measuring_and_watching_waiters_are_on_in_staging_and_production(tmp_path, environment, on):
    settings = load_settings(environment, URL, cwd=tmp_path, environ={})
    assert settings.metrics.enabled is on
    assert settings.metrics.watch is on
    assert settings.alerts.long_running_seconds == 300


def test_the_long_running_threshold_is_set_per_environment(tmp_path):
    (tmp_path / "audifi-db.toml").write_text(
        "[alerts]\nlong_running_seconds = 120\n"
        "[environments.production.alerts]\nlong_running_seconds = 600\n"
    )
    assert (
        load_settings("staging", URL, cwd=tmp_path, environ={}).alerts.long_running_seconds == 120
    )
    production = load_settings("production", URL, cwd=tmp_path, environ={})
    assert production.alerts.long_running_seconds == 600


def test_several_webhooks_come_from_one_variable(tmp_path):
    environ = {"AUDIFI_DB_ALERTS_WEBHOOK_URL": "https://a.example/x, https://b.example/y"}
    settings = load_settings("local", URL, cwd=tmp_path, environ=environ)
    assert settings.alerts.webhook_url == ("https://a.example/x", "https://b.example/y")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AUDIFI_DB_ALERTS_FORMAT", "xml", "[alerts] format = 'xml' is not known"),
        ("AUDIFI_DB_ALERTS_LONG_RUNNING_SECONDS", "0", "long_running_seconds = 0.0 must be"),
        ("AUDIFI_DB_ALERTS_TIMEOUT_SECONDS", "nan", "timeout_seconds = nan must be"),
    ],
)
def test_bad_alert_settings_are_refused_naming_the_key(tmp_path, variable, value, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings("local", URL, cwd=tmp_path, environ={variable: value})
