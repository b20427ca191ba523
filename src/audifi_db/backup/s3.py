"""Backups in object storage: `[backup] s3_url = "s3://bucket/prefix/"`, through boto3.

Credentials come from boto3's own chain (environment, shared files, instance roles); never
from our settings or the command line. boto3 is imported only here, and only when a bucket
is configured or named. Each upload asks S3 for a SHA-256 checksum and compares the one S3
stored with the file's own (for a multipart upload, S3 keeps the SHA-256 of the parts'
SHA-256s, computed here from the same part size).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import BackupFailedError, ConfigError
from .manifest import DUMP_SUFFIX, HASH_CHUNK, MANIFEST_SUFFIX, Manifest, parse, sha256_of

Progress = Callable[[int, int | None], None]  # (bytes done, total)
MB = 1024 * 1024


def split_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix/` -> ("bucket", "some/prefix/")."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


class S3Store:
    """One bucket and prefix: upload, list, download, delete backups."""

    def __init__(self, url: str, endpoint_url: str = "", part_mb: int = 64) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise BackupFailedError(
                f"[backup] s3_url is {url} but boto3 is not installed",
                "pip install 'audifi-db[s3]'",
            ) from None
        self.bucket, self.prefix = split_url(url)
        self.where = f"s3://{self.bucket}/{self.prefix}"
        self.part_size = part_mb * MB
        config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10)
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, config=config)

    def _call(self, what: str, call: Callable, *args, **kwargs):
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return call(*args, **kwargs)
        except (BotoCoreError, ClientError, S3UploadFailedError) as exc:
            raise BackupFailedError(
                f"{what} {self.where} failed: {exc}",
                "check the bucket, [backup] s3_endpoint_url and the AWS credentials "
                "(environment, ~/.aws, instance role)",
            ) from None

    def check(self) -> None:
        """Fail now, before a long dump, when the bucket cannot be reached."""
        self._call("reaching", self.client.head_bucket, Bucket=self.bucket)

    def key(self, filename: str) -> str:
        return self.prefix + filename

    def url_of(self, filename: str) -> str:
        return f"s3://{self.bucket}/{self.key(filename)}"

    def upload(self, path: Path, progress: Progress) -> str:
        """Upload `path` beside the others; its s3:// URL once S3's SHA-256 matches."""
        from boto3.s3.transfer import TransferConfig
        from s3transfer.utils import ChunksizeAdjuster

        size = path.stat().st_size
        part = ChunksizeAdjuster().adjust_chunksize(self.part_size, size)
        config = TransferConfig(multipart_threshold=self.part_size, multipart_chunksize=part)
        key = self.key(path.name)
        self._call(
            "upload to",
            self.client.upload_file,
            str(path),
            self.bucket,
            key,
            ExtraArgs={"ChecksumAlgorithm": "SHA256"},
            Config=config,
            Callback=_counter(size, progress),
        )
        expected = s3_checksum(path, part if size >= self.part_size else None)
        head = self._call(
            "checking", self.client.head_object, Bucket=self.bucket, Key=key, ChecksumMode="ENABLED"
        )
        stored = (head.get("ChecksumSHA256") or "").split("-")[0]
        if head.get("ContentLength") != size or stored != expected:
            raise BackupFailedError(
                f"upload of {path.name} to {self.where} does not match the file: S3 has "
                f"{head.get('ContentLength')} bytes, SHA-256 {stored or 'none'}; the file has "
                f"{size} bytes, SHA-256 {expected}",
                "run the backup again; check the S3-compatible store's checksum support",
            )
        return self.url_of(path.name)

    def put_manifest(self, manifest: Manifest) -> None:
        self._call(
            "writing the manifest to",
            self.client.put_object,
            Bucket=self.bucket,
            Key=self.key(manifest.manifest_file),
            Body=manifest.dumps().encode(),
            ChecksumAlgorithm="SHA256",
        )

    def manifests(self) -> list[Manifest]:
        """Every backup's manifest under the prefix."""
        found = []
        paginator = self.client.get_paginator("list_objects_v2")
        pages = self._call(
            "listing", list, paginator.paginate(Bucket=self.bucket, Prefix=self.prefix)
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith(MANIFEST_SUFFIX) and "/" not in key[len(self.prefix) :]:
                    found.append(self.manifest(key))
        return found

    def manifest(self, key: str) -> Manifest:
        body = self._call("reading", self.client.get_object, Bucket=self.bucket, Key=key)
        return parse(body["Body"].read().decode("utf-8"), f"s3://{self.bucket}/{key}")

    def download(self, filename: str, into: Path, progress: Progress) -> Path:
        key, target = self.key(filename), into / filename
        head = self._call("reading", self.client.head_object, Bucket=self.bucket, Key=key)
        self._call(
            "download from",
            self.client.download_file,
            self.bucket,
            key,
            str(target),
            Callback=_counter(head["ContentLength"], progress),
        )
        return target

    def delete(self, manifest: Manifest) -> None:
        keys = [manifest.manifest_file] + ([manifest.dump_file] if manifest.dump_file else [])
        for name in keys:
            self._call(
                "deleting from", self.client.delete_object, Bucket=self.bucket, Key=self.key(name)
            )


def s3_checksum(path: Path, part_size: int | None) -> str:
    """The ChecksumSHA256 S3 stores for `path`: base64 of its SHA-256, or, uploaded in parts
    of `part_size`, base64 of the SHA-256 of the parts' SHA-256 digests."""
    if part_size is None:
        return base64.b64encode(bytes.fromhex(sha256_of(path))).decode()
    digests = []
    with path.open("rb") as source:
        while True:
            part, left = hashlib.sha256(), part_size
            while left and (chunk := source.read(min(HASH_CHUNK, left))):
                part.update(chunk)
                left -= len(chunk)
            if left == part_size:  # nothing left to read
                break
            digests.append(part.digest())
    return base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode()


def _counter(total: int, progress: Progress) -> Callable[[int], None]:
    """boto3's callback (bytes since the last call, from several threads) -> progress,
    at most twice a second and once at the end."""
    lock, state = threading.Lock(), {"done": 0, "last": 0.0}

    def callback(amount: int) -> None:
        with lock:
            state["done"] += amount
            now = time.monotonic()
            if now - state["last"] >= 0.5 or state["done"] >= total:
                state["last"] = now
                progress(state["done"], total)

    return callback


def folder_and_file(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix/name.dump` (or .json) -> (the store's URL, the file name)."""
    folder, _, filename = url.rpartition("/")
    if not filename.endswith((DUMP_SUFFIX, MANIFEST_SUFFIX)):
        raise ConfigError(f"{url} is not a backup (.dump or .json)", "see `audifi-db backup list`")
    return folder + "/", filename
