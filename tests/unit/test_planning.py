"""The planner with literal tables of files and history rows, no server."""

import pytest

from audifi_db.errors import MigrationFileError
from audifi_db.model import Directive, HistoryRow, Migration, State
from audifi_db.planning import is_in_sync, plan_deploy, statements_of, statuses
from audifi_db.sql import parse, run_statement


def migration(version, sql="select 1", transactional=True, checksum=None):
    return Migration(
        version,
        f"m{version[-2:]}",
        f"db/migrations/{version}_m.sql",
        checksum or f"sum-{version}",
        sql,
        () if transactional else (Directive(1, "no-transaction"),),
    )


def parsed(sql):
    return [run_statement(statement) for statement in parse(sql)]


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
    plan = plan_deploy(items, {A: parsed("select 1"), C: parsed("select 1")})
    assert [s.migration.version for s in plan.steps] == [A, C]


def blocked(plan):
    return [(b.kind, b.version) for b in plan.blockers]


def test_plan_is_blocked_by_changed_and_missing():
    changed = plan_deploy(statuses([migration(A)], [row(1, A, "applied", "old")]), {})
    assert blocked(changed) == [("changed", A)] and "edited" in changed.blockers[0].message
    missing = plan_deploy(statuses([], [row(1, A, "applied")]), {})
    assert blocked(missing) == [("missing", A)] and "file is gone" in missing.blockers[0].message


def test_baselined_counts_as_done_and_in_sync():
    items = statuses([migration(A), migration(B)], [row(1, A, "baselined")])
    assert [s.migration.version for s in plan_deploy(items, {B: parsed("select 1")}).steps] == [B]
    assert is_in_sync(statuses([migration(A)], [row(1, A, "baselined")]))


def test_a_pending_migration_older_than_the_newest_applied_is_out_of_order():
    items = statuses([migration(A), migration(B)], [row(1, B, "applied")])
    strict = plan_deploy(items, {A: parsed("select 1")})
    assert blocked(strict) == [("out_of_order", A)] and B in strict.blockers[0].message
    allowed = plan_deploy(items, {A: parsed("select 1")}, allow_out_of_order=True)
    assert allowed.blockers == () and allowed.out_of_order == (A,)
    assert [s.migration.version for s in allowed.steps] == [A]


def test_up_to_stops_after_the_target_version():
    items = statuses([migration(A), migration(B), migration(C)], [])
    statements = {v: parsed("select 1") for v in (A, B, C)}
    plan = plan_deploy(items, statements, up_to=B)
    assert [s.migration.version for s in plan.steps] == [A, B]


def test_failed_transactional_attempt_is_retried():
    items = statuses([migration(A)], [row(1, A, "failed")])
    plan = plan_deploy(items, {A: parsed("select 1")})
    assert plan.steps[0].retry_of is not None and plan.steps[0].start == 0


def test_failed_no_transaction_migration_needs_resolve():
    m = migration(A, transactional=False)
    items = statuses([m], [row(1, A, "failed", transactional=False, applied=1, total=2)])
    plan = plan_deploy(items, {A: parsed("create table x (a int); alter table x add b int")})
    assert blocked(plan) == [("unresolved", A)] and plan.steps == ()
    assert "resolve 20260101000001 --applied" in plan.blockers[0].hint


def test_interrupted_no_transaction_migration_needs_resolve():
    items = statuses(
        [migration(A, transactional=False)], [row(1, A, "in_progress", transactional=False)]
    )
    plan = plan_deploy(items, {A: parsed("vacuum")})
    assert blocked(plan) == [("unresolved", A)] and "in_progress" in plan.blockers[0].message


def test_failed_concurrent_index_is_healed_and_resumed():
    sql = "create table t (a int); create unique index concurrently t_a on t (a); select 1"
    items = statuses(
        [migration(A, sql, transactional=False)],
        [row(1, A, "failed", transactional=False, applied=1, total=3)],
    )
    step = plan_deploy(items, {A: parsed(sql)}).steps[0]
    assert (step.start, step.heal_index) == (1, (None, "t", "t_a"))


@pytest.mark.parametrize("transactional", [True, False])
@pytest.mark.parametrize(
    "body, refused",
    [
        ("EXECUTE 'VACUUM t'", "3: VACUUM (run by EXECUTE in a DO block)"),
        ("EXECUTE 'REINDEX TABLE ' || 'CONCURRENTLY t'", "3: REINDEX CONCURRENTLY (run by EXEC"),
        ("VACUUM t", "3: VACUUM (in a DO block)"),
        ("EXECUTE format('VACUUM %I', 't')", None),  # built at run time: not seen
        ("EXECUTE 'DO $x$ BEGIN COMMIT; END $x$'", None),  # transaction control, not this
        ("EXECUTE 'CREATE INDEX t_id ON t (id)'", None),
    ],
)
def test_a_do_block_running_what_never_runs_from_a_function_is_refused(
    body, refused, transactional
):
    sql = f"CREATE TABLE t (id int);\nDO $$ BEGIN\n  {body};\nEND $$;\n"
    if refused is None:
        assert len(statements_of(migration(A, sql, transactional))) == 2
        return
    with pytest.raises(MigrationFileError, match="cannot be executed from a function") as error:
        statements_of(migration(A, sql, transactional))
    assert f"db/migrations/{A}_m.sql:{refused}" in error.value.message
    assert "top-level statement of a no-transaction migration" in error.value.hint
