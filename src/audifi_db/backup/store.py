"""Backups in a local folder (`[backup] dir`, `AUDIFI_DB_BACKUP_DIR`), the way to the bucket
when one is configured, and a backup named on the command line (`Located`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from ..config_sections import BackupSettings
from ..errors import BackupFailedError, ConfigError
from .manifest import DUMP_SUFFIX, MANIFEST_SUFFIX, Manifest, manifest_path, read


class LocalStore:
    """A folder of `<name>.dump` files, each with its `<name>.json` manifest."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.where = str(folder)

    def prepare(self) -> None:
        """Create the folder, or say why it cannot be written."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupFailedError(
                f"cannot create the backup folder {self.folder}: {exc.strerror or exc}",
                "set [backup] dir (AUDIFI_DB_BACKUP_DIR) to a writable folder",
            ) from None
        if not os.access(self.folder, os.W_OK | os.X_OK):
            raise BackupFailedError(
                f"the backup folder {self.folder} is not writable",
                "set [backup] dir (AUDIFI_DB_BACKUP_DIR) to a writable folder",
            )

    def path(self, filename: str) -> Path:
        return self.folder / filename

    def put_manifest(self, manifest: Manifest) -> Path:
        """Write the manifest beside its dump, whole or not at all (write, then rename),
        readable by its owner only, like the dump."""
        target = self.path(manifest.manifest_file)
        partial = target.with_suffix(".json.partial")
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(descriptor, 0o600)  # a partial file left by a crash had its own mode
            with open(descriptor, "w", encoding="utf-8") as out:
                out.write(manifest.dumps())
            partial.replace(target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise BackupFailedError(
                f"cannot write the manifest {target}: {exc.strerror or exc}",
                "free space in, or fix the permissions of, the backup folder",
            ) from None
        return target

    def manifests(self) -> list[Manifest]:
        if not self.folder.is_dir():
            return []
        return [read(path) for path in sorted(self.folder.glob(f"*{MANIFEST_SUFFIX}"))]

    def delete(self, manifest: Manifest) -> None:
        """Remove a backup's dump and manifest (the dump first: a manifest alone is harmless)."""
        if manifest.dump_file:
            self.path(manifest.dump_file).unlink(missing_ok=True)
        self.path(manifest.manifest_file).unlink(missing_ok=True)

    def remove_partial(self, name: str) -> list[str]:
        """Remove what a failed backup named `name` left; the paths removed."""
        removed = []
        for suffix in (DUMP_SUFFIX, MANIFEST_SUFFIX):
            path = self.path(name + suffix)
            if path.exists():
                path.unlink()
                removed.append(str(path))
        return removed


def bucket(settings: BackupSettings):
    """The S3 store of `[backup] s3_url`, or None (boto3 is imported only with one)."""
    if not settings.s3_url:
        return None
    from .s3 import S3Store

    return S3Store(settings.s3_url, settings.s3_endpoint_url, settings.s3_part_mb)


class Located:
    """A backup named on the command line (a local .dump or .json, or an s3:// URL): its
    manifest at once, its dump when asked for (downloaded from a bucket into a private
    folder removed afterwards), and where to write its manifest back (marked verified)."""

    def __init__(self, settings: BackupSettings, location: str) -> None:
        self.location, self.settings = location, settings
        self._temporary: Path | None = None
        if location.startswith("s3://"):
            from .s3 import S3Store, folder_and_file

            folder, filename = folder_and_file(location)
            self.remote = S3Store(folder, settings.s3_endpoint_url, settings.s3_part_mb)
            name = filename.rsplit(".", 1)[0]
            self.manifest = self.remote.manifest(self.remote.key(name + MANIFEST_SUFFIX))
            self.local = None
        else:
            path = manifest_path(Path(location))
            self.remote, self.local = None, LocalStore(path.parent)
            self.manifest = read(path)

    def open(self, progress) -> BinaryIO:
        """The dump file, opened for reading (downloaded first when it is in a bucket).
        What is read from it is what was opened, even if the file is deleted meanwhile."""
        if self.local is not None:
            path = self.local.path(self.manifest.dump_file)
            try:
                return path.open("rb")
            except OSError as exc:
                raise ConfigError(
                    f"cannot read {path}: {exc.strerror or exc} (its manifest is "
                    f"{self.local.path(self.manifest.manifest_file)}); nothing was changed",
                    "give a backup whose .dump and .json sit side by side",
                ) from None
        if self._temporary is None:
            store = LocalStore(self.settings.dir)
            store.prepare()
            self._temporary = Path(tempfile.mkdtemp(prefix=".download-", dir=store.folder))
        return self.remote.download(self.manifest.dump_file, self._temporary, progress).open("rb")

    def save(self, manifest: Manifest) -> None:
        """Write `manifest` back where this backup's came from."""
        if self.local is not None:
            self.local.put_manifest(manifest)
        else:
            self.remote.put_manifest(manifest)
        self.manifest = manifest

    def __enter__(self) -> Located:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
