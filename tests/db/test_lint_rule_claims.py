"""What rules claim about the server beyond locks and rewrites, checked against it: which
types lack an equality operator, where a sequence stops, how names are truncated."""

from __future__ import annotations

import psycopg2
import pytest
from psycopg2 import errors

from audifi_db.lint.engine import lint_source, replay_source
from audifi_db.lint.schema import SchemaModel

SETUP = "CREATE DOMAIN payload AS json;\nCREATE TABLE plays (id bigint PRIMARY KEY);\n"


def _findings(setup: str, sql: str, rule: str) -> list:
    schema = SchemaModel()
    replay_source("setup.sql", setup, schema)
    found = lint_source("m.sql", sql, transactional=True, schema=schema, in_run=False)
    return [f for f in found if f.rule == rule]


@pytest.mark.parametrize(
    "column_type",
    [
        "json",
        "json[]",
        "payload",
        "xml",
        "point",
        "line",
        "lseg",
        "box",
        "path",
        "polygon",
        "circle",
        "jsonb",
        "text",
        "tsvector",
        "int[]",
    ],
)
def test_types_without_equality_break_distinct_and_union_as_predicted(db_url, column_type):
    add = f"ALTER TABLE plays ADD COLUMN extra {column_type}"
    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    broken = []
    try:
        with conn.cursor() as cur:
            cur.execute(SETUP + "INSERT INTO plays VALUES (1), (2);\n" + add)
            for select in (
                "SELECT DISTINCT * FROM plays",
                "SELECT * FROM plays UNION SELECT * FROM plays",
            ):
                try:
                    cur.execute(select)
                    broken.append(False)
                except errors.UndefinedFunction as exc:
                    assert "could not identify an equality operator" in str(exc)
                    broken.append(True)
    finally:
        conn.close()
    assert broken in ([True, True], [False, False])
    predicted = _findings(SETUP, add, "adding-column-without-equality")
    assert bool(predicted) == broken[0], (column_type, broken, predicted)
