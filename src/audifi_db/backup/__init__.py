"""Backups before migrations, and restores that are proved to work.

- `guard.py`: the backup guard of a run (the last guard); `dump.py` takes a backup
  (pg_dump in an exported snapshot, every table counted in that snapshot while it runs);
  `restore_point.py` the `restore-point` method for databases too large to dump.
- `verify.py` restores a backup into a scratch database and compares it with its
  manifest; `restore.py` restores one into an environment.
- `commands.py` (pure) builds the pg_dump / pg_restore / psql arguments; `process.py` is
  the one module that runs them; `manifest.py`, `retention.py`, `store.py` (a folder) and
  `s3.py` (a bucket, via boto3) hold and keep the backups.

Nothing is imported here: `audifi-db status` never pays for any of it.
"""
