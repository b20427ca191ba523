"""`audifi-db embedded status|stop`: the embedded PostgreSQL the local environment falls
back to without a DATABASE_URL."""

from __future__ import annotations

from .options import command_group, command_parser


def add_parser(subparsers) -> None:
    actions = command_group(
        subparsers,
        "embedded",
        "the embedded PostgreSQL that `--env local` uses without DATABASE_URL: status, stop",
    )
    for name, help_text in (
        ("status", "say whether it runs, since when, and where its data is"),
        ("stop", "stop it (the next command that needs it starts it again)"),
    ):
        action = command_parser(actions, name, help_text, run, database=False)
        action.add_argument("--json", action="store_true", help="machine-readable output")


def run(args) -> int:
    from ..config import load_settings
    from ..discovery import display_path
    from ..operations import embedded_status, embedded_stop
    from .output import print_json

    settings = load_settings()
    data_dir = display_path(settings.embedded.data_dir)
    server = (embedded_stop if args.action == "stop" else embedded_status)(settings)
    running = server is not None and args.action == "status"
    url = server.url(settings.embedded.database) if running else None  # type: ignore[union-attr]
    if args.json:
        print_json(
            {
                "ok": True,
                "data_dir": data_dir,
                "running": running,
                "stopped": server is not None and args.action == "stop",
                "pid": server.pid if server else None,
                "url": url,
            }
        )
    elif server is None:
        print(f"not running (data in {data_dir})")
    elif running:
        since = server.started.isoformat(" ", "seconds")
        print(f"running: pid {server.pid} since {since}, data in {data_dir}")
        print(f"connect with: psql '{url}'")
    else:
        print(f"stopped (pid {server.pid}; data kept in {data_dir})")
    return 0
