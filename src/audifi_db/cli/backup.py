"""`audifi-db backup [list | verify FILE|s3://…]`: take a backup now, list them, prove one."""

from __future__ import annotations

from .options import command_parser, settings_from

HELP = (
    "take a backup of the environment's database now (`backup`), list the backups "
    "(`backup list`), or restore one into a scratch database and compare it with its "
    "manifest (`backup verify FILE|s3://…`; exit 1 when it differs)"
)


def add_parser(subparsers) -> None:
    parser = command_parser(subparsers, "backup", HELP, run)
    parser.add_argument("action", nargs="?", choices=("list", "verify"), help="list or verify")
    parser.add_argument("file", nargs="?", metavar="FILE|s3://…", help="the backup to verify")


def listeners(args) -> list:
    """Human lines and progress bars (none with --json), then --log-format/--log-file."""
    from .output import HumanPrinter, log_listeners
    from .progress import ProgressBars

    return ([] if args.json else [HumanPrinter(), ProgressBars()]) + log_listeners(args)


def run(args) -> int:
    from ..errors import ConfigError
    from .output import info

    if (args.action == "verify") != bool(args.file):
        raise ConfigError(
            "`backup verify` takes one FILE or s3:// URL; `backup` and `backup list` take none",
            "e.g. audifi-db backup verify .audifi/backups/<name>.dump",
        )
    settings = settings_from(args)
    info(f"{settings.environment}: {settings.url_for_humans}")
    if args.action == "list":
        return _list(args, settings)
    if args.action == "verify":
        return _verify(args, settings)
    return _take(args, settings)


def _take(args, settings) -> int:
    from ..operations import backup
    from .output import info, print_json

    taken = backup(settings, listeners(args), report=info)
    manifest = taken.manifest
    if args.json:
        print_json(
            {
                "ok": True,
                "location": taken.location,
                "deleted": list(taken.deleted),
                "retention_error": taken.retention_error,
                "manifest": manifest.to_json(),
            }
        )
        return 0
    print(f"backup {taken.location}")
    for deleted in taken.deleted:
        print(f"retention deleted {deleted}")
    if taken.retention_error:
        info(f"retention failed (the backup is kept): {taken.retention_error}")
    return 0


def _list(args, settings) -> int:
    from datetime import UTC, datetime

    from ..operations import list_backups
    from .output import print_json, table
    from .progress import size

    now = datetime.now(UTC)
    found = list_backups(settings)
    if args.json:
        print_json([item.to_json(now) for item in found])
        return 0
    rows = []
    for item in found:
        m = item.manifest
        versions = m.applied_versions[-1] if m.applied_versions else "-"
        verified = m.verified_at.strftime("%Y-%m-%d %H:%M") if m.verified_at else "no"
        rows.append(
            [
                m.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                _age(now - m.created_at),
                f"{m.database} ({m.environment})",
                size(m.size_bytes) if m.method == "dump" else "restore point",
                f"{versions} ({len(m.applied_versions)} applied)",
                verified,
                item.location,
            ]
        )
    table(["created (UTC)", "age", "database", "size", "newest applied", "verified", "where"], rows)
    if not found:
        print(
            f"no backups in {settings.backup.dir}"
            + (f" or {settings.backup.s3_url}" if settings.backup.s3_url else "")
        )
    return 0


def _age(delta) -> str:
    seconds = int(delta.total_seconds())
    for unit, length in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= length:
            return f"{seconds // length}{unit}"
    return f"{seconds}s"


def _verify(args, settings) -> int:
    from ..operations import verify_backup
    from .output import info, print_json

    result = verify_backup(settings, args.file, listeners(args), report=info)
    if args.json:
        print_json(
            {
                "ok": result.ok,
                "location": result.location,
                "differences": list(result.differences),
                "scratch_database": result.scratch_database,
                "tables": len(result.manifest.row_counts),
                "rows": sum(result.manifest.row_counts.values()),
                "duration_ms": result.duration_ms,
            }
        )
    elif result.ok:
        counts = result.manifest.row_counts
        print(
            f"ok: {args.file} restores to {len(counts)} tables and {sum(counts.values())} rows "
            f"matching its manifest, schema digest {result.manifest.schema_digest[:12]} "
            f"({result.duration_ms / 1000:.1f} s)"
        )
    else:
        print(f"DIFFERS: {args.file} does not restore to what its manifest says:")
        for line in result.differences:
            print(f"  {line}")
    return 0 if result.ok else 1
