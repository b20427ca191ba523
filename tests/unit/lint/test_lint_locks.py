"""The lock table, against the levels lockprobe.sh measured on PostgreSQL 15."""

import pytest

from audifi_db.lint.locks import LockEffect, LockMode, effects
from audifi_db.sql import parse

AE, SUE, SRE = (
    LockMode.ACCESS_EXCLUSIVE,
    LockMode.SHARE_UPDATE_EXCLUSIVE,
    LockMode.SHARE_ROW_EXCLUSIVE,
)


def explain(sql: str, version: int = 150000) -> list[LockEffect]:
    [statement] = parse(sql)
    return effects(statement, version)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE INDEX i ON probe (a)", [LockEffect("probe", LockMode.SHARE, scan=True)]),
        ("CREATE INDEX CONCURRENTLY i ON probe (a)", [LockEffect("probe", SUE, scan=True)]),
        (
            "ALTER TABLE probe ADD COLUMN x bigint NOT NULL DEFAULT (random() * 1000)::bigint",
            [LockEffect("probe", AE, rewrite=True, scan=True)],
        ),
        ("ALTER TABLE probe ADD COLUMN x bigint NOT NULL DEFAULT 0", [LockEffect("probe", AE)]),
        ("ALTER TABLE probe ALTER COLUMN p SET NOT NULL", [LockEffect("probe", AE, scan=True)]),
        (
            "ALTER TABLE probe ADD CONSTRAINT c CHECK (p IS NOT NULL) NOT VALID",
            [LockEffect("probe", AE)],
        ),
        ("ALTER TABLE probe VALIDATE CONSTRAINT c", [LockEffect("probe", SUE, scan=True)]),
        (
            "ALTER TABLE probe ALTER COLUMN d TYPE bigint",
            [LockEffect("probe", AE, rewrite=True, scan=True)],
        ),
        ("ALTER TABLE probe ALTER COLUMN t TYPE text", [LockEffect("probe", AE)]),
        (
            "UPDATE probe SET p = 1 WHERE p IS NULL",
            [LockEffect("probe", LockMode.ROW_EXCLUSIVE)],
        ),
        (
            "CREATE TRIGGER s BEFORE INSERT ON probe FOR EACH ROW EXECUTE FUNCTION f()",
            [LockEffect("probe", SRE)],
        ),
        ("ALTER TABLE probe RENAME COLUMN a TO b", [LockEffect("probe", AE)]),
        ("DROP INDEX CONCURRENTLY i", [LockEffect("the table of index i", SUE)]),
        ("TRUNCATE a, b", [LockEffect("a", AE, rewrite=True), LockEffect("b", AE, rewrite=True)]),
        ("VACUUM FULL probe", [LockEffect("probe", AE, rewrite=True, scan=True)]),
        ("LOCK TABLE probe IN SHARE MODE", [LockEffect("probe", LockMode.SHARE)]),
        ("SELECT 1", []),
    ],
)
def test_lock_levels(sql, expected):
    assert explain(sql) == expected


def test_create_table_locks_referenced_tables():
    assert explain("CREATE TABLE t (a int REFERENCES artists (id))") == [
        LockEffect("t (new)", AE),
        LockEffect("artists", SRE),
    ]


def test_renaming_an_index_is_lighter_from_pg12():
    assert explain("ALTER INDEX i RENAME TO j", 120000) == [LockEffect("i", SUE)]
    assert explain("ALTER INDEX i RENAME TO j", 110000) == [LockEffect("i", AE)]
