import pytest

from audifi_db import sql
from audifi_db.errors import SqlSyntaxError


def test_comments_strings_and_dollar_bodies_do_not_split():
    text = (
        "-- a comment; with a semicolon\n"
        "select 'a;b';\n"
        "/* block; comment */\n"
        "create function f() returns int language plpgsql as $$\n"
        "begin\n  perform 1; return 1;\nend $$;\n"
        "select 2"
    )
    statements = sql.parse(text)
    assert [s.node_type for s in statements] == ["SelectStmt", "CreateFunctionStmt", "SelectStmt"]
    assert [(s.line, s.column) for s in statements] == [(2, 1), (4, 1), (8, 1)]
    assert statements[1].text.endswith("end $$")


def test_positions_count_characters_not_bytes():
    statements = sql.parse("select 'éé'; select 'x';\nselect 3")
    assert [(s.line, s.column) for s in statements] == [(1, 1), (1, 14), (2, 1)]


def test_syntax_error_has_line_and_column():
    with pytest.raises(SqlSyntaxError) as caught:
        sql.parse("select 1;\ncreate tabel t (id int);", "m.sql")
    assert (caught.value.line, caught.value.column) == (2, 8)
    assert "m.sql:2:8" in str(caught.value)


@pytest.mark.parametrize(
    "statement, reason",
    [
        ("create index concurrently i on t (a)", "CREATE INDEX CONCURRENTLY"),
        ("drop index concurrently i", "DROP INDEX CONCURRENTLY"),
        ("reindex index concurrently i", "REINDEX CONCURRENTLY"),
        ("vacuum t", "VACUUM"),
        ("alter system set work_mem = '8MB'", "ALTER SYSTEM"),
        ("alter table t detach partition p concurrently", "DETACH PARTITION CONCURRENTLY"),
        ("create index i on t (a)", None),
        ("analyze t", None),
        ("select 'create index concurrently i on t (a)'", None),
    ],
)
def test_no_transaction_reason(statement, reason):
    assert sql.no_transaction_reason(sql.parse(statement)[0]) == reason


@pytest.mark.parametrize(
    "statement, schemas",
    [
        ("create schema app", ("app",)),
        ("create schema if not exists app authorization joe", ("app",)),
        ("create schema authorization joe", ("joe",)),
        ("create schema authorization current_user", ()),  # its name is known when it runs
        ("do $$ begin create schema a; execute 'CREATE SCHEMA ' || 'b'; end $$", ("a", "b")),
        ("do $$ begin execute format('CREATE SCHEMA %I', 'c'); end $$", ()),  # built at run time
        ("create table app.t (id int)", ()),
    ],
)
def test_the_schemas_a_statement_creates(statement, schemas):
    assert sql.run_statement(sql.parse(statement)[0]).creates_schemas == schemas


def test_facts_the_runner_keeps_of_a_statement():
    create = sql.run_statement(sql.parse("create index concurrently if not exists i on s.t (a)")[0])
    assert create.concurrent_index == ("s", "t", "i")
    assert create.no_transaction_reason == "CREATE INDEX CONCURRENTLY"
    plain = sql.run_statement(sql.parse("create index i on t (a)")[0])
    assert plain.concurrent_index is None and plain.no_transaction_reason is None
    assert sql.run_statement(sql.parse("set search_path = x")[0]).changes_session
    assert not sql.run_statement(sql.parse("set local search_path = x")[0]).changes_session
    assert sql.is_transaction_control(sql.parse("commit")[0])


def test_trailing_comments_are_not_part_of_the_last_statement():
    statements = sql.parse("SELECT 1;\nSELECT 2 -- end\n/* trailing */\n")
    assert [s.text for s in statements] == ["SELECT 1", "SELECT 2"]
    assert sql.parse("SELECT '-- kept'")[0].text == "SELECT '-- kept'"


def test_a_parsed_statement_has_its_place_and_kind():
    [statement] = sql.parse("SELECT 1;")
    assert statement[:5] == (0, "SELECT 1", 1, 1, "SelectStmt")
    assert (statement.byte_start, statement.inside) == (0, "")
    assert statement.body == statement.node["SelectStmt"]
