"""A year of traffic: partition maintenance that never stalls, a window that never ends,
retention that keeps what dashboards need, and v_studio_events partitioned on a live database.

Against the first five migrations adding a month queued an ACCESS EXCLUSIVE lock behind any
reader of engagement_events (and every query queued behind it), the window stopped in 2027-10,
nothing was ever dropped, and v_studio_events was one ever-growing table.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pgserver
import pytest
from conftest import REPO, Project
from psycopg2 import errorcodes
from schema_helpers import (
    Connection,
    connect,
    new_master,
    new_session,
    refused,
    rows,
    run,
    scalar,
    session,
)

MIGRATIONS = REPO / "db" / "migrations"
LOCK_NOT_AVAILABLE = errorcodes.LOCK_NOT_AVAILABLE


@pytest.fixture
def db(deployed_url: str) -> Iterator[Connection]:
    yield from session(deployed_url)


def partitions(db: Connection, parent: str) -> list[str]:
    return [
        name
        for (name,) in rows(
            db,
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass ORDER BY 1",
            (parent,),
        )
    ]


def play(db: Connection, occurred_at: str, master: str | None = None) -> None:
    run(
        db,
        "INSERT INTO engagement_events (occurred_at, master_id, event_type) VALUES (%s, %s, 'play')",
        (occurred_at, master),
    )


# --- adding months ---------------------------------------------------------------


def test_adding_a_month_waits_for_no_reader_and_blocks_no_writer(
    db: Connection, deployed_url: str
) -> None:
    report = connect(deployed_url, autocommit=False)
    try:
        run(report, "SELECT count(*) FROM engagement_events")  # holds ACCESS SHARE until it ends
        run(db, "SET lock_timeout = '200ms'")
        # What round one did: CREATE TABLE ... PARTITION OF queues behind the report.
        with refused(LOCK_NOT_AVAILABLE):
            run(
                db,
                "CREATE TABLE engagement_events_y2031m01 PARTITION OF engagement_events"
                " FOR VALUES FROM ('2031-01-01') TO ('2031-02-01')",
            )
        assert (
            scalar(db, "SELECT analytics_ensure_month_partition('2031-01-01')")
            == "engagement_events_y2031m01"
        )
        play(db, "2031-01-15 10:00+00")  # a writer, meanwhile
    finally:
        report.close()
    assert "engagement_events_y2031m01" in partitions(db, "engagement_events")


def test_maintenance_gives_up_quickly_rather_than_queue(db: Connection, deployed_url: str) -> None:
    signup = connect(deployed_url, autocommit=False)
    try:
        # An open transaction writing users: attaching clones the users foreign key.
        run(signup, "INSERT INTO users (email, handle) VALUES ('slow@x.io', 'slow_signup')")
        with refused(LOCK_NOT_AVAILABLE):
            run(db, "SELECT audifi_ensure_month_partition('engagement_events', '2031-02-01')")
    finally:
        signup.close()
    assert scalar(db, "SELECT to_regclass('engagement_events_y2031m02')") is None
    run(db, "SELECT audifi_ensure_month_partition('engagement_events', '2031-02-01')")


def test_the_partition_window_never_ends(db: Connection) -> None:
    created = [n for (n,) in rows(db, "SELECT audifi_ensure_partitions(NULL, '2027-12-15')")]
    assert created == [
        f"{parent}_y{month}"
        for parent in ("engagement_events", "v_studio_events")
        for month in ("2027m12", "2028m01", "2028m02", "2028m03")
    ]
    play(db, "2028-03-31 23:59+00")
    with refused(errorcodes.CHECK_VIOLATION):  # beyond the window: no partition, refused
        play(db, "2028-04-01 00:00+00")


def test_a_new_month_keeps_its_parents_guards(db: Connection) -> None:
    part = scalar(db, "SELECT audifi_ensure_month_partition('v_studio_events', '2030-05-01')")
    run(
        db,
        "INSERT INTO v_studio_events (session_id, event_type, occurred_at)"
        " VALUES (%s, 'chat.message', '2030-05-02')",
        (new_session(db),),
    )
    with refused(errorcodes.RESTRICT_VIOLATION):
        run(db, f"TRUNCATE {part}")
    with refused(errorcodes.RESTRICT_VIOLATION):
        run(db, f"DELETE FROM {part}")
    assert scalar(db, "SELECT has_table_privilege('audifi_app', %s, 'SELECT')", (part,)) is False


# --- roll-up and retention ------------------------------------------------------------


def test_the_monthly_rollup_counts_events_and_can_run_again(db: Connection) -> None:
    master = new_master(db)
    for minute in range(3):
        play(db, f"2026-11-20 10:0{minute}+00", master)
    run(
        db,
        "INSERT INTO engagement_events (occurred_at, user_id, master_id, event_type)"
        " SELECT '2026-11-21', id, %s, 'like' FROM users LIMIT 1",
        (master,),
    )
    assert scalar(db, "SELECT analytics_rollup_month('2026-11-17')") == 4
    play(db, "2026-11-30 23:59+00", master)  # a late event
    assert scalar(db, "SELECT analytics_rollup_month('2026-11-01')") == 5
    assert rows(
        db,
        "SELECT event_type, events, unique_users, anonymous FROM analytics_engagement_monthly"
        " WHERE month = '2026-11-01' ORDER BY 1",
    ) == [("like", 1, 1, 0), ("play", 4, 0, 4)]


def test_retention_keeps_months_until_rolled_up_then_drops_them(db: Connection) -> None:
    play(db, "2026-11-20 10:00+00")
    today = "2027-03-02"  # keep 3 full months: 2026-12, 2027-01, 2027-02
    run(db, "SELECT count(*) FROM audifi_ensure_partitions(NULL, %s)", (today,))
    assert (
        rows(db, "SELECT * FROM audifi_expired_partitions('engagement_events', %s)", (today,)) == []
    )
    run(db, "SELECT analytics_rollup_month('2026-11-01')")
    [(partition, statement)] = rows(
        db, "SELECT partition, detach_statement FROM audifi_expired_partitions(NULL, %s)", (today,)
    )
    assert partition == "engagement_events_y2026m11" and statement.endswith("CONCURRENTLY")
    run(db, statement)  # top level, as psql's \gexec runs it
    assert [
        n for (n,) in rows(db, "SELECT audifi_drop_detached_partitions(NULL, %s)", (today,))
    ] == [partition]
    assert partition not in partitions(db, "engagement_events")
    assert scalar(db, "SELECT sum(events) FROM analytics_engagement_monthly") == 1


def test_retention_also_works_from_inside_a_transaction(db: Connection) -> None:
    run(db, "SELECT analytics_rollup_month('2026-11-01')")
    dropped = [n for (n,) in rows(db, "SELECT audifi_retire_partitions(NULL, '2027-12-02')")]
    assert dropped == ["engagement_events_y2026m11", "v_studio_events_y2026m11"]


def psql() -> str:
    """psql on PATH, else the one pgserver ships (the embedded server's own)."""
    return shutil.which("psql") or str(
        Path(pgserver.__file__).parent / "pginstall" / "bin" / "psql"
    )


def test_the_daily_maintenance_script_runs_the_whole_cycle(
    db: Connection, deployed_url: str
) -> None:
    play(db, "2026-11-20 10:00+00")

    def daily(today: str) -> str:
        result = subprocess.run(
            [
                psql(),
                deployed_url,
                "-X",
                "-q",
                "-v",
                f"today={today}",
                "-f",
                str(REPO / "db/maintenance/daily.sql"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    daily("2026-12-01")  # rolls up November on the 1st
    assert (
        scalar(db, "SELECT source_events FROM analytics_rollup_runs WHERE month = '2026-11-01'")
        == 1
    )
    daily("2027-03-02")
    assert "engagement_events_y2026m11" not in partitions(db, "engagement_events")
    assert "engagement_events_y2027m06" in partitions(db, "engagement_events")
    assert "v_studio_events_y2026m11" in partitions(db, "v_studio_events")  # kept 12 months


# --- v_studio_events -------------------------------------------------------------------


def test_v_studio_events_is_partitioned_by_month_with_brin_on_time(db: Connection) -> None:
    assert scalar(db, "SELECT relkind FROM pg_class WHERE oid = 'v_studio_events'::regclass") == "p"
    assert scalar(
        db,
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'v_studio_events_occurred_at_brin'",
    ).endswith("USING brin (occurred_at)")
    run(
        db,
        "INSERT INTO v_studio_events (session_id, event_type) VALUES (%s, 'track.edit')",
        (new_session(db),),
    )
    assert (
        scalar(db, "SELECT tableoid::regclass::text FROM v_studio_events")
        == "v_studio_events_y2026m12"
    )
    with refused(errorcodes.RESTRICT_VIOLATION):
        run(db, "UPDATE v_studio_events SET event_type = 'chat.message'")


def deploy_until(project: Project, last: str) -> None:
    """Copy AudiFi's migrations up to version `last` into the project and deploy them."""
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.name[:14] <= last:
            shutil.copy(path, project.migrations / path.name)
    result = project.cli("deploy")
    assert result.returncode == 0, result.stderr


def test_v_studio_events_converts_on_a_live_database_keeping_rows_and_ids(project: Project) -> None:
    deploy_until(project, "20261201100900")
    conn = connect(project.url)
    studio = new_session(conn)
    insert = (
        "INSERT INTO v_studio_events (session_id, event_type, occurred_at)"
        " SELECT %s, 'track.edit', timestamptz '2026-09-01' + n * interval '13 minutes'"
        " FROM generate_series(1, %s) AS n"
    )
    run(conn, insert, (studio, 12_000))  # September to November, before the first partition
    deploy_until(project, "20261201101000")  # the partitioned copy and its trigger
    run(  # written meanwhile (now, inside the partition window): copied by the trigger
        conn,
        "INSERT INTO v_studio_events (session_id, event_type) SELECT %s, 'chat.message' FROM generate_series(1, 5)",
        (studio,),
    )
    deploy_until(project, "99999999999999")  # backfill in batches, swap, the rest
    assert rows(conn, "SELECT count(*), count(DISTINCT id), max(id) FROM v_studio_events") == [
        (12_005, 12_005, 12_005)
    ]
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM v_studio_events JOIN v_studio_events_legacy USING (id, occurred_at)",
        )
        == 12_005
    )
    assert "v_studio_events_y2026m09" in partitions(conn, "v_studio_events")
    run(
        conn,
        "INSERT INTO v_studio_events (session_id, event_type) VALUES (%s, 'chat.message')",
        (studio,),
    )
    assert scalar(conn, "SELECT max(id) FROM v_studio_events") == 12_006
    with refused(errorcodes.RESTRICT_VIOLATION, "v_studio_events_legacy_frozen"):
        run(
            conn,
            "INSERT INTO v_studio_events_legacy (session_id, event_type) VALUES (%s, 'x.y')",
            (studio,),
        )
    conn.close()


def test_the_default_partition_goes_only_once_empty(project: Project) -> None:
    deploy_until(project, "20261201100800")
    conn = connect(project.url)
    play(conn, "2035-06-15 12:00+00")  # lands in round one's default partition
    for path in sorted(MIGRATIONS.glob("*.sql")):
        shutil.copy(path, project.migrations / path.name)
    refused_deploy = project.cli("deploy")
    assert (
        refused_deploy.returncode == 1
        and "engagement_events_default holds rows" in refused_deploy.stderr
    )
    run(
        conn, "SELECT analytics_ensure_month_partition('2035-06-01')"
    )  # round one's function moves it
    assert project.cli("deploy").returncode == 0
    assert (
        scalar(conn, "SELECT tableoid::regclass::text FROM engagement_events")
        == "engagement_events_y2035m06"
    )
    conn.close()
