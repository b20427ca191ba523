"""`audifi-db history [VERSION] [--limit N] [--json]`: recent attempts, newest first, with
what was measured while they ran; one version's attempts in full."""

from __future__ import annotations

from .options import command_parser, settings_from


def add_parser(subparsers) -> None:
    parser = command_parser(
        subparsers,
        "history",
        "recent attempts across migrations, newest first (duration, rows, locks, waits); "
        "with VERSION, that migration's attempts in full",
        run,
    )
    parser.add_argument("version", nargs="?", metavar="VERSION", help="one migration's attempts")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="attempts (20)")


def run(args) -> int:
    from ..errors import ConfigError
    from ..operations import history, history_json
    from .output import info, print_json

    if args.limit < 1:
        raise ConfigError(f"--limit {args.limit} must be 1 or more", "e.g. --limit 50")
    settings = settings_from(args)
    info(f"{settings.environment}: {settings.url_for_humans}")
    rows = history(settings, args.version, args.limit)
    if args.json:
        print_json([history_json(row) for row in rows])
    elif args.version:
        _in_full(rows, args.version)
    else:
        _overview(rows)
    return 0


def _overview(rows) -> None:
    from .output import table

    if not rows:
        print("no attempt recorded yet")
        return
    table(
        ["started", "version", "name", "state", "duration", "rows", "strongest lock", "max wait"],
        [
            [
                row.started_at.strftime("%Y-%m-%d %H:%M:%S") if row.started_at else "",
                row.version,
                row.name,
                row.state.value,
                f"{row.duration_ms} ms" if row.duration_ms is not None else "",
                str(row.rows_affected if row.rows_affected is not None else ""),
                _strongest(row.metrics),
                f"{row.metrics['max_wait_ms']} ms" if row.metrics.get("max_wait_ms") else "",
            ]
            for row in rows
        ],
    )


def _strongest(metrics) -> str:
    from ..observe.measure import lock_strength

    tables = [lock for lock in metrics.get("locks", []) if lock.get("kind") == "table"]
    if not tables:
        return ""
    lock = max(tables, key=lambda x: lock_strength(x["mode"]))
    more = f" (+{len(tables) - 1})" if len(tables) > 1 else ""
    return f"{lock['mode'].removesuffix('Lock')} on {lock['relation']}{more}"


def _in_full(rows, version: str) -> None:
    if not rows:
        print(f"no attempt of {version} recorded")
        return
    for row in rows:
        print(f"attempt {row.id}: {row.version}_{row.name}  {row.state.value}")
        for label, value in (
            ("started", row.started_at),
            ("finished", row.finished_at),
            ("duration", f"{row.duration_ms} ms" if row.duration_ms is not None else None),
            ("statements", f"{row.statements_applied} of {row.statements_total}"),
            ("rows", row.rows_affected),
            ("by", row.applied_by),
            ("environment", row.environment),
            ("run", row.run_id),
            (
                "failed at",
                f"line {row.failed_line}: {row.failed_statement}" if row.failed_statement else None,
            ),
            ("error", row.error),
        ):
            if value is not None:
                print(f"  {label:<11} {value}")
        for line in _metric_lines(row.metrics):
            print(f"  {line}")
        print()


def _metric_lines(metrics) -> list[str]:
    from ..model import who_blocked
    from ..observe.markup import size

    lines = [
        f"lock        {x['mode']} on {x['relation']} ({x['kind']}), held {x.get('held_ms')} ms"
        for x in metrics.get("locks", [])
    ]
    lines += [
        f"waiter      pid {w['pid']} {w['user']} ({w['application'] or 'no name'}) wanted "
        f"{w['mode']} on {w['waiting_for']} for {w['waited_ms']} ms"
        for w in metrics.get("waiters", [])
    ]
    if waits := metrics.get("lock_waits"):
        lines += [
            f"lock waits  {waits['attempts']} attempts, {waits['lock_timeouts']} cut short by "
            "lock_timeout",
            f"blocked by  {who_blocked(waits['blockers'])}",
        ]
    lines += [
        f"table       {t['table']}: {size(t['bytes_before'])} -> {size(t['bytes_after'])}"
        + (" (created)" if t.get("created") else " (rewritten)" if t.get("rewritten") else "")
        for t in metrics.get("tables", [])
    ]
    lines += [f"index       {i['index']}: {size(i['bytes'])}" for i in metrics.get("indexes", [])]
    lines += [
        f"rows        statement {r['statement']} (line {r['line']}): {r['rows']}"
        for r in metrics.get("rows", [])
    ]
    return lines
