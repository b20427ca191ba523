"""The promotion gate: "run migrations in staging first", enforced.

`[environments.production] requires = "staging"` (the built-in default) makes a deploy to
production refuse any pending migration that staging has not applied with the same checksum.
Staging's history comes from a manifest (`audifi-db status --env staging --json`, handed
over as a CI artifact: `--staging-manifest FILE`) or from staging's own database URL. The
comparison is pure (`unpromoted`); reading staging is the guard's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from .config import Settings, load_settings
from .errors import ConfigError, GuardRefusedError
from .model import DONE_STATES, Migration


def unpromoted(pending: Sequence[Migration], upstream: Mapping[str, str], name: str) -> list[str]:
    """Why each pending migration may not go on: not applied on `name`, or applied there with
    another checksum. Empty when every one was promoted."""
    problems = []
    for migration in pending:
        checksum = upstream.get(migration.version)
        if checksum is None:
            problems.append(f"{migration.filename} is not applied on {name}")
        elif checksum != migration.checksum:
            problems.append(f"{migration.filename} was applied on {name} with another checksum")
    return problems


def refusal(problems: list[str], name: str, source: str) -> GuardRefusedError:
    shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if problems[5:] else "")
    return GuardRefusedError(
        f"{len(problems)} pending migration(s) not applied on {name} first ({source}): {shown}",
        f'deploy them to {name} first, or pass --skip-staging-check "<reason>" '
        "(recorded in the history with who gave it)",
    )


def read_manifest(path: str, name: str) -> dict[str, str]:
    """version -> applied checksum from a `status --json` file of environment `name`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the {name} manifest {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: not a status manifest ({exc})",
            f"write it with `audifi-db status --env {name} --json > {path}`",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("migrations"), list):
        raise ConfigError(
            f"{path}: not a status manifest (no migrations list)",
            f"write it with `audifi-db status --env {name} --json > {path}`",
        )
    if data.get("environment") != name:
        raise ConfigError(
            f"{path} is the manifest of {data.get('environment')!r}, not of {name!r}",
            f"write it with `audifi-db status --env {name} --json > {path}`",
        )
    return {
        item["version"]: item["applied_checksum"]
        for item in data["migrations"]
        if isinstance(item, dict) and item.get("state") in DONE_ON_UPSTREAM
    }


# States of a status report in which the migration ran on that database; `changed` means it
# ran there and its file was edited since: the applied checksum is what ran.
DONE_ON_UPSTREAM = ("applied", "baselined", "changed")


def upstream_history(settings: Settings, manifest: str | None) -> tuple[dict[str, str], str]:
    """What the required environment applied (version -> checksum) and where that was read."""
    name = settings.requires
    if manifest:
        return read_manifest(manifest, name), f"manifest {manifest}"
    try:
        upstream = load_settings(name, cwd=settings.project_root)
    except ConfigError as error:
        raise ConfigError(
            f"cannot tell what {name} applied: {error.message}",
            f"set its URL, or pass --staging-manifest FILE (from `audifi-db status --env {name} "
            '--json`), or --skip-staging-check "<reason>"',
        ) from None
    from .planning import latest_attempts
    from .postgres.connect import connect
    from .postgres.history import History

    with connect(upstream.database_url or "", f"audifi-db ({name} check)") as conn:
        rows = latest_attempts(History.of(conn, upstream).read())
    applied = {v: row.checksum for v, row in rows.items() if row.state in DONE_STATES}
    return applied, upstream.url_for_humans
