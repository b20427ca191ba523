"""The JSON manifest written beside each backup, and what a restored copy is compared with.

`<name>.dump` has `<name>.json` beside it; a restore point has only the manifest. The
manifest holds what is needed to prove a restore right (every table's exact row count and
the schema's digest, read in the dump's own snapshot) and to judge the backup without
opening it (database, versions, size, sha256, the migrations applied, verified or not).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import ConfigError

FORMAT = 1
DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".json"
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    name: str  # the file name without suffix: <database>-<env>-<UTC>-before-<version>
    database: str
    environment: str
    created_at: datetime
    server_version: str
    method: str = "dump"  # or "restore-point"
    dump_file: str = ""  # <name>.dump for a dump, "" for a restore point
    pg_dump: str = ""  # the path of the pg_dump used
    pg_dump_version: str = ""  # e.g. "16.2"
    size_bytes: int = 0
    sha256: str = ""
    row_counts: Mapping[str, int] = field(default_factory=dict)
    schema_digest: str = ""
    schema_objects: Mapping[str, str] = field(default_factory=dict)
    applied_versions: tuple[str, ...] = ()
    before_version: str = ""
    run_id: str = ""
    uploaded_to: str = ""
    restore_point: Mapping[str, Any] = field(default_factory=dict)
    verified_at: datetime | None = None
    format: int = FORMAT

    @property
    def manifest_file(self) -> str:
        return self.name + MANIFEST_SUFFIX

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = _stamp(self.created_at)
        data["verified_at"] = _stamp(self.verified_at) if self.verified_at else None
        data["applied_versions"] = list(self.applied_versions)
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"

    def verified(self, when: datetime | None = None) -> Manifest:
        return replace(self, verified_at=when or datetime.now(UTC))


def _stamp(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def parse(text: str, where: str) -> Manifest:
    """A manifest from its JSON; a ConfigError naming `where` when it is not one."""
    try:
        data = json.loads(text)
        known = {f.name for f in fields(Manifest)}
        values = {k: v for k, v in data.items() if k in known}
        values["created_at"] = _when(values["created_at"])
        values["verified_at"] = _when(values.get("verified_at"))
        values["applied_versions"] = tuple(values.get("applied_versions", ()))
        return Manifest(**values)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{where} is not an audifi-db backup manifest ({type(exc).__name__}: {exc})",
            "give the .dump (with its .json beside it) or the .json that `audifi-db backup` wrote",
        ) from None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def read(path: Path) -> Manifest:
    try:
        return parse(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(
            f"cannot read backup manifest {path}: {exc.strerror or exc}",
            "a backup's .json manifest must sit beside its .dump",
        ) from None


def manifest_path(given: Path) -> Path:
    """The manifest of a backup given as its .dump or its .json."""
    if given.suffix == DUMP_SUFFIX:
        return given.with_suffix(MANIFEST_SUFFIX)
    return given


def sha256_of(path: Path) -> str:
    with path.open("rb") as source:
        return sha256_of_file(source)


def sha256_of_file(source: BinaryIO) -> str:
    """The sha256 of an open file, read from its start; left at its start again."""
    digest = hashlib.sha256()
    source.seek(0)
    while chunk := source.read(HASH_CHUNK):
        digest.update(chunk)
    source.seek(0)
    return digest.hexdigest()


def schema_digest(objects: Mapping[str, str]) -> str:
    """One sha256 over every schema object's name and definition hash."""
    text = "\n".join(f"{key}\t{value}" for key, value in sorted(objects.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def differences(
    expected: Manifest, counts: Mapping[str, int], objects: Mapping[str, str]
) -> list[str]:
    """What a restored copy shows that the manifest does not: tables and rows, schema
    objects. Empty when they agree."""
    found = []
    for table in sorted(set(expected.row_counts) | set(counts)):
        want, got = expected.row_counts.get(table), counts.get(table)
        if want is None:
            found.append(f"table {table}: not in the manifest, restored with {got} rows")
        elif got is None:
            found.append(f"table {table}: {want} rows in the manifest, missing after restore")
        elif want != got:
            found.append(f"table {table}: {want} rows in the manifest, {got} restored")
    if schema_digest(objects) != expected.schema_digest:
        found.append("schema: the restored schema's digest differs from the manifest's")
    mine = expected.schema_objects
    for key in sorted(set(mine) | set(objects)):
        if key not in objects:
            found.append(f"schema: {key} is missing after restore")
        elif key not in mine:
            found.append(f"schema: {key} is not in the manifest")
        elif mine[key] != objects[key]:
            found.append(f"schema: {key} differs from the manifest's")
    return found
