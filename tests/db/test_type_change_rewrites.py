"""Every type-change rule of the linter, checked against the real server.

For each case a table is created with the old type (plus an index or a check when the case
says so), the column's type is changed, and what PostgreSQL did is read back: a new
`relfilenode` for the table is a rewrite; a new one for an index, or a sequential scan
counted in the transaction (`pg_stat_xact_user_tables`), is a scan. The linter's
prediction, from the same SQL replayed into its schema model, must say the same.

A scan is seen as a new `relfilenode` for an index (rebuilt), or as a CHECK constraint
evaluated again: the check calls a function that counts its calls on a sequence.
(`pg_stat_xact_user_tables.seq_scan` is no witness: PostgreSQL counts a scan of a tiny
table whose index it merely reuses.)
"""

from __future__ import annotations

import uuid

import psycopg2
import pytest
from conftest import admin_execute, with_database

from audifi_db.lint.engine import explain_source, replay_source
from audifi_db.lint.schema import SchemaModel

UTC, PARIS = "SET TIME ZONE 'UTC';", "SET TIME ZONE 'Europe/Paris';"
INDEX, CHECK = "index", "check"

CASES = [
    # (old type, new type, session time zone, USING, extra)
    ("varchar(10)", "varchar(20)", UTC, None, None),
    ("varchar(20)", "varchar(10)", UTC, None, None),
    ("varchar(10)", "varchar", UTC, None, None),
    ("varchar", "varchar(10)", UTC, None, None),
    ("varchar(10)", "text", UTC, None, None),
    ("varchar(10)", "text", UTC, None, INDEX),
    ("text", "varchar", UTC, None, None),
    ("text", "varchar(10)", UTC, None, None),
    ("integer", "bigint", UTC, None, None),
    ("bigint", "integer", UTC, None, None),
    ("integer", "text", UTC, None, None),
    ("uuid", "text", UTC, None, None),
    ("uuid", "varchar(36)", UTC, None, None),
    ("integer", "numeric", UTC, None, None),
    ("integer", "decimal(12, 2)", UTC, None, None),
    ("numeric(10, 2)", "numeric(12, 2)", UTC, None, None),
    ("numeric(10, 2)", "numeric(12, 4)", UTC, None, None),
    ("numeric(10, 2)", "numeric(8, 2)", UTC, None, None),
    ("numeric(10, 2)", "numeric", UTC, None, None),
    ("numeric", "numeric(10, 2)", UTC, None, None),
    ("timestamp", "timestamptz", UTC, None, None),
    ("timestamp", "timestamptz", PARIS, None, None),
    ("timestamptz", "timestamp", UTC, None, None),
    ("timestamp", "timestamptz", UTC, None, INDEX),
    ("timestamp(3)", "timestamptz(3)", UTC, None, None),
    ("timestamp(3)", "timestamp", UTC, None, None),
    ("timestamp(3)", "timestamp(6)", UTC, None, None),
    ("timestamp", "timestamp(3)", UTC, None, None),
    ("time(3)", "time", UTC, None, None),
    ("char(5)", "char(10)", UTC, None, None),
    ("char(5)", "text", UTC, None, None),
    ("char(5)", "varchar", UTC, None, None),
    ("varchar(10)", "char(10)", UTC, None, None),
    ("text", "bpchar", UTC, None, None),
    ("bit(3)", "bit varying", UTC, None, None),
    ("bit varying(3)", "bit varying(5)", UTC, None, None),
    ("bit varying(5)", "bit varying(3)", UTC, None, None),
    ("cidr", "inet", UTC, None, None),
    ("json", "jsonb", UTC, "c::jsonb", None),
    ("integer[]", "bigint[]", UTC, None, None),
    ("varchar[]", "text[]", UTC, None, None),
    ("xml", "text", UTC, None, None),
    ("interval", "interval(3)", UTC, None, None),
    ("interval(3)", "interval", UTC, None, None),
    ("integer", "plain_int", UTC, None, None),
    ("integer", "positive_int", UTC, None, None),
    ("plain_int", "integer", UTC, None, None),
    ("varchar(10)", "varchar(20)", UTC, None, CHECK),
    ("varchar(10)", "text", UTC, "c", None),
    ("varchar(10)", "text", UTC, "c::text", None),
    ("varchar(10)", "text", UTC, "upper(c)", None),
    ("integer", "integer", UTC, None, None),
]
DOMAINS = (
    "CREATE DOMAIN plain_int AS integer;\n"
    "CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);\n"
    "CREATE SEQUENCE checked;\n"
    "CREATE FUNCTION counted(anyelement) RETURNS boolean LANGUAGE sql "
    "AS 'SELECT nextval(''checked'') > 0';\n"
)


@pytest.fixture(scope="module")
def conn(server_url):
    name = f"audifi_test_types_{uuid.uuid4().hex[:8]}"
    admin_execute(server_url, f'CREATE DATABASE "{name}"')
    connection = psycopg2.connect(with_database(server_url, name))
    connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute(DOMAINS)
    yield connection
    connection.close()
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _setup(table: str, old: str, extra: str | None) -> str:
    sql = f"CREATE TABLE {table} (id int, c {old});\nINSERT INTO {table} VALUES (1, NULL);\n"
    if extra == INDEX:
        sql += f"CREATE INDEX {table}_c ON {table} (c);\n"
    if extra == CHECK:
        sql += f"ALTER TABLE {table} ADD CONSTRAINT {table}_c_check CHECK (counted(c));\n"
    return sql


def _observe(cur, table: str, alter: str) -> str:
    storage = (
        "SELECT relname, relfilenode FROM pg_class "
        f"WHERE relname = '{table}' OR relname LIKE '{table}\\_c%' ORDER BY relname"
    )
    checked = "SELECT last_value FROM checked"
    cur.execute(storage)
    before = dict(cur.fetchall())
    cur.execute(checked)
    checks_before = cur.fetchone()[0]
    cur.execute(alter)
    cur.execute(storage)
    after = dict(cur.fetchall())
    cur.execute(checked)
    rechecked = cur.fetchone()[0] != checks_before
    if after[table] != before[table]:
        return "rewrite"
    if rechecked or any(after.get(name) != before[name] for name in before if name != table):
        return "scan"
    return "none"


def _predict(table: str, setup: str, alter: str) -> str:
    schema = SchemaModel()
    replay_source("setup.sql", DOMAINS + setup, schema)
    [*_, explained] = explain_source("change.sql", alter, 150000, schema=schema)
    [effect] = explained.effects
    return "rewrite" if effect.rewrite else "scan" if effect.scan else "none"


@pytest.mark.parametrize(
    ("old", "new", "zone", "using", "extra"), CASES, ids=lambda v: str(v).replace(" ", "")
)
def test_prediction_matches_the_server(conn, old, new, zone, using, extra):
    table = f"t_{uuid.uuid4().hex[:8]}"
    setup = _setup(table, old, extra)
    alter = f"{zone}\nALTER TABLE {table} ALTER COLUMN c TYPE {new}" + (
        f" USING {using}" if using else ""
    )
    with conn.cursor() as cur:
        cur.execute(setup)
        observed = _observe(cur, table, alter)
        cur.execute("RESET TIME ZONE")
    assert _predict(table, setup, alter) == observed
