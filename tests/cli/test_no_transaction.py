"""No-transaction migrations: refused without the directive, in_progress/failed, the index heal."""

import json

import psycopg2
import pytest
from conftest import admin_execute

from audifi_db.model import NO_TRANSACTION_RULE

DIRECTIVE = "-- audifi-db: no-transaction\n"


def test_concurrent_index_without_directive_is_refused_before_anything_runs(project):
    project.write("20260101000001", "a", "create table a (id int);\n")
    project.write("20260101000002", "idx", "create index concurrently a_id on a (id);\n")
    result = project.cli("deploy")
    assert result.returncode == 2
    assert "20260101000002_idx.sql:1" in result.stderr and "no-transaction" in result.stderr
    assert project.query("select to_regclass('a')") == [(None,)]


def test_a_do_block_that_commits_is_refused_before_anything_runs(project):
    project.write("20260101000001", "a", "create table a (id int);\n")
    project.write(
        "20260101000002", "batches", "do $$ begin delete from a where id < 5; commit; end $$;\n"
    )
    result = project.cli("deploy")
    assert result.returncode == 2
    assert "20260101000002_batches.sql:1: a DO block that runs COMMIT" in result.stderr
    assert NO_TRANSACTION_RULE in result.stderr
    assert project.query("select to_regclass('a')") == [(None,)]
    project.write("20260101000002", "batches", DIRECTIVE + "do $$ begin commit; end $$;\n")
    assert project.cli("deploy").returncode == 0


def test_transaction_control_inside_a_migration_is_refused(project):
    project.write("20260101000001", "a", "create table a (id int);\ncommit;\n")
    result = project.cli("deploy")
    assert result.returncode == 2 and "transaction control" in result.stderr


def test_failed_concurrent_unique_index_is_healed_after_the_data_is_fixed(project):
    project.write(
        "20260101000001", "t", "create table t (a int);\ninsert into t values (1), (1);\n"
    )
    project.write(
        "20260101000002",
        "idx",
        DIRECTIVE + "create unique index concurrently if not exists t_a on t (a);\nselect 1;\n",
    )
    failed = project.cli("deploy")
    assert failed.returncode == 1 and "could not create unique index" in failed.stderr
    assert project.query("select indisvalid from pg_index where indexrelid = 't_a'::regclass") == [
        (False,)
    ]
    status = json.loads(project.cli("status", "--json").stdout)
    assert status["migrations"][1]["state"] == "failed"
    project.query("delete from t where ctid = (select max(ctid) from t); select 1")
    healed = project.cli("deploy")
    assert healed.returncode == 0, healed.stderr
    assert "INVALID index" in healed.stderr
    assert project.query("select indisvalid from pg_index where indexrelid = 't_a'::regclass") == [
        (True,)
    ]
    assert project.history()[-1][:4] == ("20260101000002", "applied", 2, 2)


def test_an_invalid_index_left_by_a_manual_build_is_rebuilt_not_skipped(project):
    """IF NOT EXISTS would skip an INVALID index of the name (a failed build by hand) and
    the migration would be recorded applied with the index unusable."""
    project.write("20260101000001", "t", "create table t (a int);\n")
    assert project.cli("deploy").returncode == 0
    project.query("insert into t values (1), (1); select 1")
    with pytest.raises(psycopg2.Error):
        admin_execute(project.url, "create unique index concurrently t_a on t (a)")
    project.query("delete from t where ctid = (select max(ctid) from t); select 1")
    project.write(
        "20260101000002",
        "idx",
        DIRECTIVE + "create unique index concurrently if not exists t_a on t (a);\n",
    )
    result = project.cli("deploy")
    assert result.returncode == 0, result.stderr
    assert "INVALID index" in result.stderr
    assert project.query("select indisvalid from pg_index where indexrelid = 't_a'::regclass") == [
        (True,)
    ]


def test_the_heal_looks_in_the_schema_of_the_indexed_table_not_at_a_namesake(project):
    """The index a CREATE INDEX CONCURRENTLY builds lives in its table's schema: one of the
    same name in a schema earlier on the search_path is another table's, neither dropped
    nor taken for the build."""
    admin_execute(
        project.url,
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = a, b', "
        "current_database()); END $$",
    )
    project.write(
        "20260101000001",
        "t",
        "create schema a;\ncreate schema b;\n"
        "create table a.other (a int);\ncreate unique index t_a on a.other (a);\n"
        "create table b.t (a int);\ninsert into b.t values (1), (1);\n",
    )
    project.write(
        "20260101000002",
        "idx",
        DIRECTIVE + "create unique index concurrently if not exists t_a on t (a);\n",
    )
    assert project.cli("deploy").returncode == 1
    valid = "select indisvalid from pg_index where indexrelid = %s::regclass"
    assert project.query(valid, ("b.t_a",)) == [(False,)]
    project.query("delete from b.t where ctid = (select max(ctid) from b.t); select 1")
    healed = project.cli("deploy")
    assert healed.returncode == 0, healed.stderr
    assert "dropped INVALID index b.t_a" in healed.stderr
    assert project.query(valid, ("b.t_a",)) == [(True,)]
    assert project.query(valid, ("a.t_a",)) == [(True,)]


def test_failed_no_transaction_migration_blocks_until_resolved(project):
    project.write(
        "20260101000001",
        "vac",
        DIRECTIVE + "create table v (id int);\nvacuum v;\nselect 1/0;\n",
    )
    project.write("20260101000002", "later", "create table later (id int);\n")
    assert project.cli("deploy").returncode == 1
    assert project.history()[0][:4] == ("20260101000001", "failed", 2, 3)
    blocked = project.cli("deploy")
    assert blocked.returncode == 1
    assert "resolve 20260101000001 --applied" in blocked.stderr
    assert project.query("select to_regclass('later')") == [(None,)]
    resolved = project.cli("resolve", "20260101000001", "--applied")
    assert resolved.returncode == 0, resolved.stderr
    assert project.cli("deploy").returncode == 0
    assert project.query("select to_regclass('later') is not null") == [(True,)]


def test_resolve_rolled_back_reapplies(project):
    project.write(
        "20260101000001", "vac", DIRECTIVE + "create table if not exists v (id int);\nselect 1/0;\n"
    )
    project.cli("deploy")
    project.write("20260101000001", "vac", DIRECTIVE + "create table if not exists v (id int);\n")
    # the file changed after the failure: only a human can say what to do
    assert project.cli("deploy").returncode == 1
    assert project.cli("resolve", "20260101000001", "--rolled-back").returncode == 0
    assert project.cli("deploy").returncode == 0
    assert [r[1] for r in project.history()] == ["failed", "rolled_back", "applied"]


def test_resolve_refuses_an_applied_migration(project):
    project.write("20260101000001", "a", "create table a (id int);\n")
    project.cli("deploy")
    result = project.cli("resolve", "20260101000001", "--applied")
    assert result.returncode == 1 and "only a failed or in_progress" in result.stderr


def test_the_directive_rule_is_said_the_same_way_everywhere(project):
    from conftest import REPO

    from audifi_db.model import NO_TRANSACTION_WHERE

    readme = " ".join((REPO / "README.md").read_text().split())
    assert NO_TRANSACTION_RULE in readme
    project.cli("new", "concurrent_index", url=None)
    [created] = project.migrations.glob("*_concurrent_index.sql")
    assert NO_TRANSACTION_RULE in created.read_text()
    created.unlink()
    project.write("20260101000001", "t", "create table t (id int);\n")
    project.write("20260101000002", "idx", "create index concurrently i on t (id);\n")
    refused = project.cli("deploy")
    assert refused.returncode == 2 and NO_TRANSACTION_RULE in refused.stderr
    linted = project.cli("lint", str(project.migrations / "20260101000002_idx.sql"), url=None)
    assert linted.returncode == 1 and NO_TRANSACTION_WHERE in linted.stdout
    (project.migrations / "20260101000002_idx.sql").write_text(
        "create procedure c() language plpgsql as $$ begin commit; end $$;\ncall c();\n"
    )
    failed = project.cli("deploy")  # COMMIT at run time: SQLSTATE 2D000
    assert failed.returncode == 1 and NO_TRANSACTION_RULE in failed.stderr
