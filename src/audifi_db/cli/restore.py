"""`audifi-db restore FILE|s3://… --env ENV [--confirm NAME]`: put a backup back."""

from __future__ import annotations

from .options import command_parser, settings_from

HELP = (
    "restore a backup into the environment's database, in one transaction, history "
    "included; staging and production only with --confirm <database name>, after a backup "
    "of the current state. For a restore point, print the point-in-time recovery settings"
)


def add_parser(subparsers) -> None:
    parser = command_parser(subparsers, "restore", HELP, run)
    parser.add_argument("file", metavar="FILE|s3://…", help="the backup (.dump or .json)")
    parser.add_argument(
        "--confirm",
        metavar="NAME",
        help="the target database's name, typed out (required for staging and production)",
    )


def run(args) -> int:
    from ..operations import restore
    from .backup import listeners
    from .output import info, print_json

    settings = settings_from(args)
    info(f"{settings.environment}: {settings.url_for_humans}")
    result = restore(settings, args.file, args.confirm, listeners(args), report=info)
    manifest = result.manifest
    if args.json:
        print_json(
            {
                "ok": True,
                "restored": not result.recovery,
                "location": args.file,
                "database": settings.database_name,
                "applied_versions": list(manifest.applied_versions),
                "safety_backup": result.safety_backup,
                "recovery_settings": result.recovery,
                "duration_ms": result.duration_ms,
            }
        )
    elif result.recovery:
        info(f"{args.file} is a restore point: recover to it with these settings")
        print(result.recovery)
    else:
        if result.safety_backup:
            info(f"the state before the restore is in {result.safety_backup}")
        newest = manifest.applied_versions[-1] if manifest.applied_versions else "none"
        print(
            f"restored {args.file} into {settings.database_name} ({settings.environment}) in "
            f"{result.duration_ms / 1000:.1f} s; newest applied migration: {newest}"
        )
    return 0
