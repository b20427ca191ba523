"""What a run says: counts, hints that name the command run, the next step, the database."""

import json

import pytest

GOOD = "create table users (id int);\n"


def test_counts_are_singular_for_one_and_a_select_changes_no_rows(project):
    project.write("20260101000001", "one", "create table t (id int);\n")
    project.write("20260101000002", "reads", "select g from generate_series(1, 5) g;\n")
    result = project.cli("deploy")
    assert result.returncode == 0, result.stderr
    assert "(1 statement, 0 rows)" in result.stdout
    assert "1 statements" not in result.stdout and "5 rows" not in result.stdout
    assert project.query("select rows_affected from audifi_migrations order by id") == [
        (0,),
        (0,),
    ]


@pytest.mark.parametrize("command", ["dev", "deploy"])
def test_a_syntax_error_exits_2_from_dev_and_deploy_and_is_said_once(project, command):
    project.write("20260101000001", "broken", "create tabel x (id int);\n")
    result = project.cli(command)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("syntax error") == 1
    assert "20260101000001_broken.sql:1:8: syntax error at or near" in result.stderr


@pytest.mark.parametrize("command", ["dev", "deploy"])
def test_a_failure_hint_names_the_command_that_was_run(project, command):
    project.write("20260101000001", "broken", "select 1/0;\n")
    result = project.cli(command)
    assert result.returncode == 1
    assert f"fix it and run `audifi-db {command}` again" in result.stderr


COMMITS_AT_RUN_TIME = (
    "create procedure commits() language plpgsql as $$ begin commit; end $$;\ncall commits();\n"
)


def test_a_statement_that_commits_at_run_time_fails_with_a_hint_naming_the_directive(project):
    project.write("20260101000001", "commits", COMMITS_AT_RUN_TIME)  # not seen before it runs
    result = project.cli("deploy")
    assert result.returncode == 1 and "SQLSTATE 2D000" in result.stderr
    assert "-- audifi-db: no-transaction" in result.stderr


NEVER_FROM_A_FUNCTION = [
    ("vacuum", "execute 'VACUUM t'", "VACUUM"),
    (
        "index",
        "execute 'CREATE INDEX ' || 'CONCURRENTLY t_id ON t (id)'",
        "CREATE INDEX CONCURRENTLY",
    ),
]


@pytest.mark.parametrize("directive", ["", "-- audifi-db: no-transaction\n"])
@pytest.mark.parametrize("name, execute, what", NEVER_FROM_A_FUNCTION)
def test_a_do_block_executing_what_never_runs_from_a_function_is_refused_before_anything_runs(
    project, directive, name, execute, what
):
    sql = f"create table if not exists t (id int);\ndo $$\nbegin\n  {execute};\nend $$;\n"
    project.write("20260101000001", name, directive + sql)
    result = project.cli("deploy")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.startswith("audifi-db: error:")]
    line = 5 if directive else 4
    assert f"_{name}.sql:{line}: {what} (run by EXECUTE in a DO block) cannot be executed" in error
    assert "run it as a top-level statement of a no-transaction migration" in error
    assert project.query("select to_regclass('t'), to_regclass('audifi_migrations')") == [
        (None, None)
    ]


VACUUM_AT_RUN_TIME = [  # built at run time, or in a procedure's body: not seen before it runs
    "do $$ begin execute format('VACUUM %I', 't'); end $$;\n",
    "create procedure vac() language plpgsql as $$ begin execute 'VACUUM t'; end $$;\n"
    "call vac();\n",
]


@pytest.mark.parametrize("runs_code", VACUUM_AT_RUN_TIME)
def test_what_fails_from_a_function_at_run_time_is_not_told_to_add_the_directive(
    project, runs_code
):
    project.write("20260101000001", "vacuum", "create table t (id int);\n" + runs_code)
    result = project.cli("deploy")
    assert result.returncode == 1 and "SQLSTATE 25001" in result.stderr
    assert "put the line `-- audifi-db: no-transaction`" not in result.stderr
    assert "was run from a function (a DO block or a procedure is one)" in result.stderr
    assert "top-level statement of a no-transaction migration" in result.stderr


def test_target_applies_up_to_and_including_the_version(project):
    for version in ("20260101000001", "20260101000002", "20260101000003"):
        project.write(version, f"t{version[-1]}", f"create table t{version[-1]} (id int);\n")
    result = project.cli("deploy", "--target", "20260101000002")
    assert result.returncode == 0, result.stderr
    assert [r[:2] for r in project.history()] == [
        ("20260101000001", "applied"),
        ("20260101000002", "applied"),
    ]


def test_out_of_order_is_refused_naming_both_then_allowed_and_recorded(project):
    project.write("20260101000002", "later", "create table later (id int);\n")
    assert project.cli("deploy").returncode == 0
    project.write("20260101000001", "older", "create table older (id int);\n")
    refused = project.cli("deploy")
    assert refused.returncode == 1
    assert "pending migration 20260101000001 is older than 20260101000002" in refused.stderr
    assert "--allow-out-of-order" in refused.stderr
    allowed = project.cli("deploy", "--allow-out-of-order")
    assert allowed.returncode == 0, allowed.stderr
    [(notes,)] = project.query(
        "select notes from audifi_migrations where version = '20260101000001'"
    )
    assert notes["allow_out_of_order"]["versions"] == ["20260101000001"]


def test_status_ends_with_the_next_step(project):
    project.write("20260101000001", "users", GOOD)
    project.write("20260101000002", "more", "create table more (id int);\n")
    env = project.env(STAGING_DATABASE_URL=project.url)
    result = project.cli("status", "--env", "staging", url=None, env=env)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "2 pending: run `audifi-db deploy --env staging`"
    assert project.cli("deploy").returncode == 0
    done = project.cli("status")
    assert done.returncode == 0 and done.stdout.splitlines()[-1].endswith("in sync")
    assert json.loads(project.cli("status", "--json").stdout)["next_step"] == ""


def test_status_names_resolve_after_a_failed_no_transaction_migration(project):
    project.write(
        "20260101000001",
        "vac",
        "-- audifi-db: no-transaction\ncreate table if not exists v (id int);\nselect 1/0;\n",
    )
    assert project.cli("deploy").returncode == 1
    last = project.cli("status").stdout.splitlines()[-1]
    assert last.startswith("20260101000001 failed: check the database, then `audifi-db resolve")


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["validate"],
        ["deploy"],
        ["deploy", "--dry-run"],
        ["dev"],
        ["erd"],
        ["resolve", "20260101000001", "--applied"],
        ["reset", "--force"],
    ],
)
def test_stderr_names_the_database_used(project, args):
    project.write("20260101000001", "users", GOOD)
    result = project.cli(*args)
    assert result.stderr.splitlines()[0].startswith(f"audifi-db: local: {project.url}"), (
        result.stderr
    )


def test_a_staging_dry_run_says_the_lint_guard_would_refuse(project):
    project.write("20260101000001", "users", GOOD)
    assert project.cli("deploy").returncode == 0
    project.query("insert into users select generate_series(1, 1000)")
    project.write("20260101000002", "email", "alter table users add column email text not null;\n")
    env = project.env(STAGING_DATABASE_URL=project.url)
    dry = project.cli("deploy", "--env", "staging", "--dry-run", url=None, env=env)
    assert dry.returncode == 1
    assert "-- lint: WOULD REFUSE: 1 unacknowledged lint error(s)" in dry.stdout
    assert "the real deploy would be refused by: lint" in dry.stdout
    real = project.cli("deploy", "--env", "staging", url=None, env=env)
    assert real.returncode == 1 and "[adding-required-column]" in real.stderr
    assert project.query("select count(*) from audifi_migrations") == [(1,)]
