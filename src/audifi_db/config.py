"""Settings: audifi-db.toml, then AUDIFI_DB_<SECTION>_<KEY> variables, then flags.

Each `[section]` of the file is one named tuple (config_sections.py), listed in
SECTIONS: a new section is one class and one line there, and `Settings` gets its field
from SECTIONS. Its fields' defaults give the types. Every section can be overridden per
environment (`[environments.production.backup]`), and the built-in environments bring
defaults of their own (backups before staging and production deploys).
Precedence, lowest first: the field's default, the built-in environment's, `[section]`,
`[environments.NAME.section]`, `AUDIFI_DB_SECTION_KEY`, `AUDIFI_DB_ENVIRONMENTS_NAME_SECTION_KEY`,
then flags. `redact` is the one place a database URL is made safe to show.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from .config_sections import (
    BUILTIN_ENVIRONMENTS,
    ENVIRONMENT_KEYS,
    SECTIONS,
    parse_server_version,  # noqa: F401 - part of config's API
)
from .errors import ConfigError

CONFIG_FILE = "audifi-db.toml"
PROTECTED_ENVIRONMENTS = frozenset({"staging", "production"})


_SettingsFields = NamedTuple(
    "_SettingsFields",
    [
        ("project_root", Path),
        ("environment", str),
        ("database_url", str | None),  # None: the embedded server (local only)
        ("protected", bool),
        ("requires", str),  # the environment whose history gates a deploy here ("" for none)
        ("environments", tuple),  # every known environment, for reports
        *SECTIONS.items(),  # one field per section: settings.backup, settings.lint…
    ],
)


class Settings(_SettingsFields):
    """One environment's settings, each section of SECTIONS a field of its own."""

    __slots__ = ()

    @property
    def url_for_humans(self) -> str:
        if self.database_url is None:
            return f"embedded PostgreSQL in {self.embedded.data_dir}"
        return redact(self.database_url)

    @property
    def database_name(self) -> str:
        if self.database_url is None:
            return self.embedded.database
        return database_name(self.database_url)


def database_name(url: str) -> str:
    """The database a postgresql:// URL names ("" when it names none)."""
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    return name or dict(parse_qsl(parts.query)).get("dbname", "")


def find_project_root(start: Path) -> Path:
    """Like git and cargo: the nearest folder at or above `start` holding audifi-db.toml,
    else the nearest holding db/migrations, else `start`."""
    folders = (start, *start.parents)
    for marker in (CONFIG_FILE, "db/migrations"):
        for folder in folders:
            if (folder / marker).exists():
                return folder
    return start


def environment_names(*, cwd: Path | None = None) -> tuple[str, ...]:
    """Every environment the project knows: the built-in ones and audifi-db.toml's."""
    root = find_project_root((cwd or Path.cwd()).resolve())
    return tuple(_environment_tables(_read_file(root / CONFIG_FILE)))


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
    _reject_unknown_sections(raw)
    environments = _environment_tables(raw)
    _reject_unknown_variables(environments, environ)
    if environment not in environments:
        known = ", ".join(sorted(environments))
        raise ConfigError(f"unknown environment {environment!r}", f"use one of: {known}")
    table = environments[environment]
    own_keys = {
        name: _section(f"environments.{name}", ENVIRONMENT_KEYS, values, environ)
        for name, values in environments.items()
    }
    own = own_keys[environment]
    variables = {keys["url_variable"] for keys in own_keys.values()}
    url_environ = {**_dotenv_urls(root / ".env", variables), **environ}
    url = _url(environment, own["url_variable"], database_url, url_environ)
    sections = {
        name: _build_section(name, cls, raw, environment, table, environ, root)
        for name, cls in SECTIONS.items()
    }
    return Settings(
        project_root=root,
        environment=environment,
        database_url=url,
        protected=bool(own["protected"]) or environment in PROTECTED_ENVIRONMENTS,
        requires=own["requires"],
        environments=tuple(environments),
        **sections,
    )


def _url(
    environment: str, variable: str, flag: str | None, environ: Mapping[str, str]
) -> str | None:
    if not variable and not flag:
        raise ConfigError(
            f"environment {environment!r} has no url_variable",
            f"set [environments.{environment}] url_variable in {CONFIG_FILE}, or pass --database-url",
        )
    url = flag or environ.get(variable) or None
    if url is None and environment != "local":
        raise ConfigError(
            f"{variable} is not set for --env {environment}",
            f"export {variable}=postgresql://… or pass --database-url",
        )
    return url


def _dotenv_urls(path: Path, variables: set[str]) -> dict[str, str]:
    """The database URL variables of a `.env` file (names ending in DATABASE_URL, and any
    environment's url_variable); {} without the file. The real environment wins over them."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # only when there is a file

    return {
        name: value
        for name, value in dotenv_values(path).items()
        if value and (name.endswith("DATABASE_URL") or name in variables)
    }


def _defaults(cls: type) -> dict[str, object]:
    return {name: cls._field_defaults[name] for name in cls._fields}


def _build_section(
    name: str,
    cls: type,
    raw: dict,
    environment: str,
    env_table: dict,
    environ: Mapping[str, str],
    root: Path,
) -> object:
    """One section's values for `environment`, in precedence order, checked and typed."""
    defaults = _defaults(cls)
    builtin = BUILTIN_ENVIRONMENTS.get(environment, {}).get(name, {})
    values = _section(name, defaults, raw.get(name, {}), {}, base=builtin)
    override = env_table.get(name, {})
    values = _section(f"environments.{environment}.{name}", defaults, override, {}, base=values)
    values = _section(name, defaults, {}, environ, base=values)
    values = _section(f"environments.{environment}.{name}", defaults, {}, environ, base=values)
    for key, default in defaults.items():
        if isinstance(default, Path):
            values[key] = root / values[key]
    section = cls(**values)
    return section.checked() if hasattr(section, "checked") else section


def _section(
    where: str,
    defaults: Mapping[str, object],
    given: object,
    environ: Mapping[str, str],
    *,
    base: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """`base` (else the defaults) overlaid with the keys `given` in the file and those set
    by variables, each checked against its default's type."""
    if not isinstance(given, dict):
        raise ConfigError(f"{CONFIG_FILE}: [{where}] must be a table")
    nested = set(SECTIONS) if where.startswith("environments.") and where.count(".") == 1 else set()
    unknown = set(given) - set(defaults) - nested
    if unknown:
        raise ConfigError(
            f"{CONFIG_FILE}: unknown key {sorted(unknown)[0]!r} in [{where}]",
            f"known keys: {', '.join([*defaults, *sorted(nested)])}",
        )
    result = {**defaults, **(base or {})}
    for key, default in defaults.items():
        variable = env_variable(where, key)
        if variable in environ:
            result[key] = _coerce(environ[variable], default, variable)
        elif key in given:
            result[key] = _check_type(given[key], default, f"[{where}] {key}")
    return result


def env_variable(section: str, key: str) -> str:
    return f"AUDIFI_DB_{section}_{key}".replace(".", "_").replace("-", "_").upper()


def _environment_tables(raw: dict) -> dict[str, dict]:
    """Every environment's table from the file, the built-in ones included."""
    file_envs = raw.get("environments", {})
    if not isinstance(file_envs, dict) or not all(isinstance(v, dict) for v in file_envs.values()):
        raise ConfigError(f"{CONFIG_FILE}: [environments] must be a table of tables")
    tables: dict[str, dict] = {name: {} for name in BUILTIN_ENVIRONMENTS}
    tables.update(file_envs)
    for name, table in tables.items():
        builtin = {k: v for k, v in BUILTIN_ENVIRONMENTS.get(name, {}).items() if k not in SECTIONS}
        tables[name] = {**builtin, **table}
    return tables


def _reject_unknown_sections(raw: dict) -> None:
    unknown = set(raw) - set(SECTIONS) - {"environments"}
    if unknown:
        raise ConfigError(
            f"{CONFIG_FILE}: unknown section [{sorted(unknown)[0]}]",
            f"known sections: {', '.join([*SECTIONS, 'environments'])}",
        )


def _reject_unknown_variables(environments: dict, environ: Mapping[str, str]) -> None:
    known = {env_variable(s, key) for s, cls in SECTIONS.items() for key in cls._fields}
    for name in environments:
        known |= {env_variable(f"environments.{name}", key) for key in ENVIRONMENT_KEYS}
        known |= {
            env_variable(f"environments.{name}.{s}", key)
            for s, cls in SECTIONS.items()
            for key in cls._fields
        }
    for name in environ:
        if name.startswith("AUDIFI_DB_") and name not in known:
            raise ConfigError(
                f"unknown setting variable {name}",
                "check its spelling: AUDIFI_DB_<SECTION>_<KEY>, e.g. AUDIFI_DB_LOCK_WAIT_SECONDS",
            )


def _check_type(value: object, default: object, where: str) -> object:
    if isinstance(default, Path):
        ok = isinstance(value, str)
        value = Path(value) if ok else value  # type: ignore[arg-type]
    elif isinstance(default, tuple):
        value = [value] if isinstance(value, str) else value
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        value = tuple(value) if ok else value  # type: ignore[arg-type]
    elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    else:
        expected = type(default)
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
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
    if isinstance(default, tuple):
        return tuple(item.strip() for item in text.split(",") if item.strip())
    if isinstance(default, Path):
        return Path(text)
    return text


def _type_name(default: object) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", tuple: "a list"}
    return names.get(type(default), "a string")


def _read_file(path: Path) -> dict:
    if not path.is_file():
        return {}
    import tomllib  # only when there is a file: 5 ms of every command otherwise

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", "fix the TOML syntax") from None


def with_url(settings: Settings, url: str) -> Settings:
    """The same settings pointed at another database (a scratch one, say)."""
    return settings._replace(database_url=url)


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
