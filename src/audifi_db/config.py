"""Settings: audifi-db.toml, then AUDIFI_DB_<SECTION>_<KEY> variables, then flags.

`load_settings` returns one frozen Settings for the chosen environment. `redact` is the one
place a database URL is made safe to show.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from .errors import ConfigError

CONFIG_FILE = "audifi-db.toml"
PROTECTED_ENVIRONMENTS = frozenset({"staging", "production"})

# section -> key -> default; the default's type is the setting's type.
DEFAULTS: dict[str, dict[str, object]] = {
    "migrations": {"dir": "db/migrations", "schemas": ["public"]},
    "history": {"schema": "public", "table": "audifi_migrations"},
    "lock": {"wait_seconds": 60.0},
    "lint": {"server_version": 0, "timezone": "UTC", "search_path": ["public"]},
    "seeds": {"dir": "db/seeds"},
    "embedded": {"data_dir": ".audifi/pgdata", "database": "audifi_dev"},
}
ENVIRONMENT_DEFAULTS: dict[str, object] = {"url_variable": "", "protected": False}
BUILTIN_ENVIRONMENTS = {
    "local": {"url_variable": "DATABASE_URL", "protected": False},
    "staging": {"url_variable": "STAGING_DATABASE_URL", "protected": True},
    "production": {"url_variable": "PRODUCTION_DATABASE_URL", "protected": True},
}


@dataclass(frozen=True)
class Settings:
    project_root: Path
    environment: str
    database_url: str | None  # None: the embedded server (local only)
    protected: bool
    migrations_dir: Path
    managed_schemas: tuple[str, ...]
    history_schema: str
    history_table: str
    lock_wait_seconds: float
    lint_server_version: int
    seeds_dir: Path
    embedded_data_dir: Path
    embedded_database: str
    # how the linter's schema model resolves names and judges timestamp -> timestamptz
    # when no database is at hand (with one, the database's own settings win)
    lint_timezone: str = "UTC"
    lint_search_path: tuple[str, ...] = ("public",)

    @property
    def url_for_humans(self) -> str:
        if self.database_url is None:
            return f"embedded PostgreSQL in {self.embedded_data_dir}"
        return redact(self.database_url)


def parse_server_version(value: str | int) -> int:
    """PostgreSQL's integer form of a version: `15`, `15.4`, `150004` -> 150000 / 150004."""
    text = str(value).strip()
    major, _, minor = text.partition(".")
    number = int(major)
    if number >= 10000:
        return number
    return number * 10000 + (int(minor) if minor else 0)


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding audifi-db.toml, else `start`."""
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return start


def load_settings(
    environment: str = "local",
    database_url: str | None = None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    environ = os.environ if environ is None else environ
    root = find_project_root((cwd or Path.cwd()).resolve())
    raw = _read_file(root / CONFIG_FILE)
    values = _merge(raw, environ)
    environments = values["environments"]
    if environment not in environments:
        known = ", ".join(sorted(environments))
        raise ConfigError(f"unknown environment {environment!r}", f"use one of: {known}")
    env = environments[environment]
    if not env["url_variable"] and not database_url:
        raise ConfigError(
            f"environment {environment!r} has no url_variable",
            f"set [environments.{environment}] url_variable in {CONFIG_FILE}, or pass --database-url",
        )
    url = database_url or environ.get(env["url_variable"]) or None
    if url is None and environment != "local":
        raise ConfigError(
            f"{env['url_variable']} is not set for --env {environment}",
            f"export {env['url_variable']}=postgresql://… or pass --database-url",
        )
    return Settings(
        project_root=root,
        environment=environment,
        database_url=url,
        protected=bool(env["protected"]) or environment in PROTECTED_ENVIRONMENTS,
        migrations_dir=root / values["migrations"]["dir"],
        managed_schemas=tuple(values["migrations"]["schemas"]),
        history_schema=values["history"]["schema"],
        history_table=values["history"]["table"],
        lock_wait_seconds=_wait_seconds(values["lock"]["wait_seconds"]),
        lint_server_version=parse_server_version(values["lint"]["server_version"]),
        seeds_dir=root / values["seeds"]["dir"],
        embedded_data_dir=root / values["embedded"]["data_dir"],
        embedded_database=values["embedded"]["database"],
        lint_timezone=values["lint"]["timezone"],
        lint_search_path=tuple(values["lint"]["search_path"]),
    )


def _wait_seconds(value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise ConfigError(
            f"[lock] wait_seconds = {value!r} must be a finite number of seconds, 0 or more",
            "e.g. AUDIFI_DB_LOCK_WAIT_SECONDS=60",
        )
    return value


def _read_file(path: Path) -> dict:
    if not path.is_file():
        return {}
    import tomllib  # only when there is a file: 5 ms of every command otherwise

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", "fix the TOML syntax") from None


def _merge(raw: dict, environ: Mapping[str, str]) -> dict:
    """Defaults <- file <- environment variables, checking every key and type."""
    merged: dict = {}
    for section, defaults in DEFAULTS.items():
        merged[section] = _merge_section(section, defaults, raw.get(section, {}), environ)
    environments = {name: dict(values) for name, values in BUILTIN_ENVIRONMENTS.items()}
    file_envs = raw.get("environments", {})
    if not isinstance(file_envs, dict):
        raise ConfigError(f"{CONFIG_FILE}: [environments] must be a table of tables")
    for name in set(environments) | set(file_envs):
        base = {**ENVIRONMENT_DEFAULTS, **environments.get(name, {})}
        environments[name] = _merge_section(
            f"environments.{name}", base, file_envs.get(name, {}), environ
        )
    merged["environments"] = environments
    unknown = set(raw) - set(DEFAULTS) - {"environments"}
    if unknown:
        raise ConfigError(
            f"{CONFIG_FILE}: unknown section [{sorted(unknown)[0]}]",
            f"known sections: {', '.join([*DEFAULTS, 'environments'])}",
        )
    _reject_unknown_variables(merged, environ)
    return merged


def _merge_section(section: str, defaults: dict, given: object, environ: Mapping) -> dict:
    if not isinstance(given, dict):
        raise ConfigError(f"{CONFIG_FILE}: [{section}] must be a table")
    unknown = set(given) - set(defaults)
    if unknown:
        raise ConfigError(
            f"{CONFIG_FILE}: unknown key {sorted(unknown)[0]!r} in [{section}]",
            f"known keys: {', '.join(defaults)}",
        )
    result = {}
    for key, default in defaults.items():
        variable = env_variable(section, key)
        if variable in environ:
            result[key] = _coerce(environ[variable], default, variable)
        elif key in given:
            result[key] = _check_type(given[key], default, f"[{section}] {key}")
        else:
            result[key] = default
    return result


def env_variable(section: str, key: str) -> str:
    return f"AUDIFI_DB_{section}_{key}".replace(".", "_").upper()


def _reject_unknown_variables(merged: dict, environ: Mapping[str, str]) -> None:
    known = {env_variable(s, k) for s, keys in DEFAULTS.items() for k in keys}
    known |= {
        env_variable(f"environments.{name}", key)
        for name, values in merged["environments"].items()
        for key in values
    }
    for name in environ:
        if name.startswith("AUDIFI_DB_") and name not in known:
            raise ConfigError(
                f"unknown setting variable {name}",
                "check its spelling: AUDIFI_DB_<SECTION>_<KEY>, e.g. AUDIFI_DB_LOCK_WAIT_SECONDS",
            )


def _check_type(value: object, default: object, where: str) -> object:
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is list:
        ok = ok and all(isinstance(item, str) for item in value)
    if not ok:
        raise ConfigError(
            f"{CONFIG_FILE}: {where} = {value!r} has the wrong type",
            f"expected {_type_name(default)}",
        )
    return value


def _coerce(text: str, default: object, variable: str) -> object:
    try:
        if isinstance(default, bool):
            lowered = text.strip().lower()
            if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError(text)
            return lowered in {"true", "1", "yes"}
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        raise ConfigError(
            f"{variable}={text!r} has the wrong type", f"expected {_type_name(default)}"
        ) from None
    if isinstance(default, list):
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def _type_name(default: object) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", list: "a list"}
    return names.get(type(default), "a string")


def redact(url: str) -> str:
    """The URL with any password replaced by ***, safe to print or store.

    Errs on the side of hiding: the user part is taken up to the *last* `@` (a password may
    hold `/`, `?`, `#` or `@` unescaped), and text that is not a postgresql:// URL is shown
    only as far as it is certainly free of a password.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "<database URL not shown: not a postgresql:// URL>"
    userinfo, at, after = rest.rpartition("@")
    if at:
        user = userinfo.partition(":")[0]
        rest = f"{user}:***@{after}" if ":" in userinfo else f"{user}@{after}"
    base, question, query = rest.partition("?")
    if question:
        pairs = [
            (k, "***" if k.lower() in {"password", "sslpassword"} else v)
            for k, v in parse_qsl(query, keep_blank_values=True)
        ]
        base = f"{base}?{urlencode(pairs, safe='/*:')}"
    return f"{scheme}://{base}"
