"""What the linter needs of a live database's catalogue, as plain values.

Only catalog queries (and `EXPLAIN` without `ANALYZE`, which plans and runs nothing): the
tables of every schema but PostgreSQL's own, with their size estimate, columns, constraints,
indexes, enums, domains and triggers, and the session's search_path and TimeZone.
`lint/catalog_model.py` turns these values into the schema model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..errors import ServerError
from ..lint.schema import CatalogValues
from .connect import Connection

_USER = "n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema'"
_RELATION = "format('%%s.%%s', n.nspname, c.relname)"

_TABLES = f"""
SELECT n.nspname, c.relname, c.relkind, c.relpersistence,
       CASE WHEN c.relkind = 'p' THEN (SELECT sum(greatest(k.reltuples, 0)) FROM pg_inherits i
                                       JOIN pg_class k ON k.oid = i.inhrelid
                                       WHERE i.inhparent = c.oid)
            WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples END,
       (SELECT format('%%s.%%s', pn.nspname, p.relname) FROM pg_inherits i
          JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
         WHERE i.inhrelid = c.oid AND c.relispartition),
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM pg_partitioned_table pt
               CROSS JOIN LATERAL unnest(pt.partattrs::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum
         WHERE pt.partrelid = c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_USER}
"""
_COLUMNS = f"""
SELECT {_RELATION}, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_USER}
 ORDER BY c.oid, a.attnum
"""
_CONSTRAINTS = f"""
SELECT {_RELATION}, con.conname, con.contype, con.convalidated,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
              ORDER BY k.ord),
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END,
       CASE WHEN con.contype = 'f' THEN format('%%s.%%s', rn.nspname, r.relname) END
  FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_class r ON r.oid = con.confrelid
  LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
 WHERE con.contype IN ('c', 'f', 'u', 'p', 'x') AND {_USER}
"""
_INDEXES = f"""
SELECT n.nspname, c.relname, format('%%s.%%s', tn.nspname, t.relname),
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              ORDER BY k.ord),
       i.indisunique, i.indisvalid
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
 WHERE {_USER}
"""
_ENUMS = f"""
SELECT format('%%s.%%s', n.nspname, t.typname), array_agg(e.enumlabel ORDER BY e.enumsortorder)
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE {_USER} GROUP BY 1
"""
_DOMAINS = f"""
SELECT format('%%s.%%s', n.nspname, t.typname), format_type(t.typbasetype, t.typtypmod),
       EXISTS (SELECT 1 FROM pg_constraint WHERE contypid = t.oid AND contype = 'c')
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'd' AND {_USER}
"""
_TRIGGERS = f"""
SELECT {_RELATION}, tg.tgname, tg.tgenabled <> 'D'
  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT tg.tgisinternal AND {_USER}
"""
_SCHEMAS = f"SELECT n.nspname FROM pg_namespace n WHERE {_USER}"


def read_catalog(conn: Connection) -> CatalogValues:
    """The live schema, as `lint.schema.CatalogValues`."""
    search_path, timezone = conn.query_one(
        "SELECT current_schemas(false)::text[], current_setting('TimeZone')"
    )
    return CatalogValues(
        search_path=tuple(search_path),
        timezone=timezone,
        schemas=tuple(row[0] for row in _rows(conn, _SCHEMAS)),
        tables=_rows(conn, _TABLES),
        columns=_rows(conn, _COLUMNS),
        constraints=_rows(conn, _CONSTRAINTS),
        indexes=_rows(conn, _INDEXES),
        enums=_rows(conn, _ENUMS),
        domains=_rows(conn, _DOMAINS),
        triggers=_rows(conn, _TRIGGERS),
    )


def _rows(conn: Connection, sql: str) -> tuple[tuple, ...]:
    return tuple(tuple(row) for row in conn.query(sql, {}))


def estimate_rows(conn: Connection, statements: Iterable[str]) -> dict[str, float]:
    """The planner's estimate of the rows each UPDATE or DELETE writes (`EXPLAIN`, never
    `ANALYZE`: nothing runs). A statement the target cannot plan yet (it uses a column a
    pending migration adds) or that waits for a lock is left out."""
    estimates: dict[str, float] = {}
    for statement in statements:
        conn.execute("BEGIN")
        try:
            conn.execute("SET LOCAL lock_timeout = '1s'; SET LOCAL statement_timeout = '5s'")
            [[plan]] = conn.query(f"EXPLAIN (FORMAT JSON) {statement}")
        except ServerError:
            continue
        finally:
            conn.execute("ROLLBACK")
        top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        scan = (
            top["Plans"][0] if top.get("Node Type") == "ModifyTable" and top.get("Plans") else top
        )
        estimates[statement] = float(scan["Plan Rows"])
    return estimates
