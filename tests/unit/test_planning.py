"""The planner with literal tables of files and history rows, no server."""

import pytest

from audifi_db.errors import PlanError
from audifi_db.model import HistoryRow, Migration, State
from audifi_db.planning import is_in_sync, plan_deploy, statuses
from audifi_db.sql import parse


def migration(version, sql="select 1", transactional=True, checksum=None):
    return Migration(
        version,
        f"m{version[-2:]}",
        f"db/migrations/{version}_m.sql",
        checksum or f"sum-{version}",
        sql,
        transactional,
    )


def row(id, version, state, checksum=None, transactional=True, applied=0, total=1):
    return HistoryRow(
        id,
        version,
        f"m{version[-2:]}",
        checksum or f"sum-{version}",
        State(state),
        transactional,
        statements_applied=applied,
        statements_total=total,
        error="boom",
    )


A, B, C = "20260101000001", "20260101000002", "20260101000003"


@pytest.mark.parametrize(
    "files, history, expected",
    [
        ([A, B], [], {A: "pending", B: "pending"}),
        ([A, B], [(1, A, "applied")], {A: "applied", B: "pending"}),
        ([A], [(1, A, "failed"), (2, A, "applied")], {A: "applied"}),
        ([A], [(1, A, "applied", "other")], {A: "changed"}),
        ([], [(1, A, "applied")], {A: "missing"}),
        ([A], [(1, A, "in_progress")], {A: "in_progress"}),
        ([A], [(1, A, "failed"), (2, A, "rolled_back")], {A: "pending"}),
        ([], [(1, A, "failed")], {}),  # a rolled-back transactional attempt left nothing
    ],
)
def test_statuses(files, history, expected):
    items = statuses([migration(v) for v in files], [row(*h) for h in history])
    assert {i.version: i.state.value for i in items} == expected


def test_in_sync_only_when_everything_is_applied():
    applied = statuses([migration(A)], [row(1, A, "applied")])
    assert is_in_sync(applied)
    assert not is_in_sync(statuses([migration(A), migration(B)], [row(1, A, "applied")]))


def test_plan_runs_pending_in_version_order():
    files = [migration(C), migration(A), migration(B)]
    items = statuses(sorted(files, key=lambda m: m.version), [row(1, B, "applied")])
    plan = plan_deploy(items, {A: parse("select 1"), C: parse("select 1")})
    assert [s.migration.version for s in plan.steps] == [A, C]


def test_plan_refuses_changed_and_missing():
    with pytest.raises(PlanError, match="edited"):
        plan_deploy(statuses([migration(A)], [row(1, A, "applied", "old")]), {})
    with pytest.raises(PlanError, match="file is gone"):
        plan_deploy(statuses([], [row(1, A, "applied")]), {})


def test_failed_transactional_attempt_is_retried():
    items = statuses([migration(A)], [row(1, A, "failed")])
    plan = plan_deploy(items, {A: parse("select 1")})
    assert plan.steps[0].retry_of is not None and plan.steps[0].start == 0


def test_failed_no_transaction_migration_needs_resolve():
    m = migration(A, transactional=False)
    items = statuses([m], [row(1, A, "failed", transactional=False, applied=1, total=2)])
    with pytest.raises(PlanError, match="resolve 20260101000001 --applied"):
        plan_deploy(items, {A: parse("create table x (a int); alter table x add b int")})


def test_interrupted_no_transaction_migration_needs_resolve():
    items = statuses(
        [migration(A, transactional=False)], [row(1, A, "in_progress", transactional=False)]
    )
    with pytest.raises(PlanError, match="in_progress"):
        plan_deploy(items, {A: parse("vacuum")})


def test_failed_concurrent_index_is_healed_and_resumed():
    sql = "create table t (a int); create unique index concurrently t_a on t (a); select 1"
    items = statuses(
        [migration(A, sql, transactional=False)],
        [row(1, A, "failed", transactional=False, applied=1, total=3)],
    )
    step = plan_deploy(items, {A: parse(sql)}).steps[0]
    assert (step.start, step.heal_index) == (1, (None, "t_a"))
