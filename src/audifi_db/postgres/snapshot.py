"""What a backup records of a database, read in one snapshot: the snapshot pg_dump uses.

`exported_snapshot` opens a REPEATABLE READ transaction and exports its snapshot
(`pg_export_snapshot`); pg_dump imports it with `--snapshot`, and every read made on the
exporting connection while the transaction is open sees exactly what the dump contains.
`row_counts` and `schema_objects` are also run on a restored copy, to compare.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager

from .connect import Connection
from .history import quote_ident

_USER_SCHEMAS = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'"
)
_NOT_EXTENSION_MEMBER = (
    "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass "
    "AND d.objid = {oid} AND d.deptype = 'e')"
)

# Tables whose rows pg_dump writes: ordinary tables and partitions outside the system
# schemas, not owned by an extension.
_TABLES_SQL = f"""
SELECT format('%%I.%%I', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND {_USER_SCHEMAS}
   AND {_NOT_EXTENSION_MEMBER.format(catalog="pg_class", oid="c.oid")}
 ORDER BY 1
"""

# One line per schema object, keyed by kind and name, as the catalogue defines it (never
# OIDs, owners or grants: a restore with --no-owner must give the same lines).
_SCHEMA_SQL = f"""
SELECT 'schema ' || n.nspname, '' FROM pg_namespace n WHERE {_USER_SCHEMAS}
UNION ALL
SELECT 'extension ' || extname, extversion FROM pg_extension
UNION ALL
SELECT format('%%s %%I.%%I', CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view'
              WHEN 'm' THEN 'materialized view' ELSE 'table' END, n.nspname, c.relname),
       concat_ws(E'\\n', c.relkind::text, pg_get_expr(c.relpartbound, c.oid),
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
         (SELECT string_agg(concat_ws(' ', quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                  CASE WHEN a.attnotnull THEN 'NOT NULL' END, a.attidentity, a.attgenerated,
                  pg_get_expr(ad.adbin, ad.adrelid)), ', ' ORDER BY a.attnum)
            FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {_USER_SCHEMAS}
   AND {_NOT_EXTENSION_MEMBER.format(catalog="pg_class", oid="c.oid")}
UNION ALL
SELECT format('constraint %%s %%I', conrelid::regclass, conname), pg_get_constraintdef(oid)
  FROM pg_constraint WHERE conrelid <> 0 AND conrelid IN (
       SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_SCHEMAS})
UNION ALL
SELECT format('index %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE {_USER_SCHEMAS}
UNION ALL
SELECT format('function %%s', p.oid::regprocedure), pg_get_functiondef(p.oid)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prokind IN ('f', 'p') AND {_USER_SCHEMAS}
   AND {_NOT_EXTENSION_MEMBER.format(catalog="pg_proc", oid="p.oid")}
UNION ALL
SELECT format('trigger %%s %%I', t.tgrelid::regclass, t.tgname), pg_get_triggerdef(t.oid)
  FROM pg_trigger t WHERE NOT t.tgisinternal AND t.tgparentid = 0
UNION ALL
SELECT format('type %%s', t.oid::regtype),
       concat_ws(' ', t.typtype, (SELECT string_agg(quote_literal(e.enumlabel), ',' ORDER BY e.enumsortorder)
                                    FROM pg_enum e WHERE e.enumtypid = t.oid),
                 CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd') AND {_USER_SCHEMAS}
   AND {_NOT_EXTENSION_MEMBER.format(catalog="pg_type", oid="t.oid")}
"""


@contextmanager
def exported_snapshot(conn: Connection) -> Iterator[str]:
    """A read-only REPEATABLE READ transaction on `conn`, held open for the block; yields
    its exported snapshot's id for `pg_dump --snapshot`. Reads on `conn` inside the block
    see the same data as the dump."""
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        yield conn.query_one("SELECT pg_export_snapshot()")[0]
    finally:
        conn.execute("ROLLBACK")


def row_counts(conn: Connection) -> dict[str, int]:
    """Every dumped table's exact row count (`schema.table` -> rows)."""
    counts = {}
    for (table,) in conn.query(_TABLES_SQL, ()):
        counts[table] = conn.query_one(f"SELECT count(*) FROM ONLY {table}")[0]
    return counts


def schema_objects(conn: Connection) -> dict[str, str]:
    """Each schema object (`kind name`) -> a short hash of its definition."""
    rows = conn.query(_SCHEMA_SQL, ())
    return {
        key: hashlib.sha256(normalized(definition or "").encode()).hexdigest()[:16]
        for key, definition in sorted(rows)
    }


# Casts, parentheses and blanks that PostgreSQL deparses differently once an expression
# went through dump and restore: `(ARRAY['a'::varchar])::text[]` comes back as
# `ARRAY[('a'::varchar)::text]`. Removed before hashing; names, literals and operators stay.
_MULTIWORD_TYPES = (
    "character varying|double precision|bit varying"
    "|timestamp(?:\\(\\d+\\))? with(?:out)? time zone|time(?:\\(\\d+\\))? with(?:out)? time zone"
)
_CAST = re.compile(
    rf"::(?:{_MULTIWORD_TYPES}|\"[^\"]+\"|[A-Za-z_][\w.]*)(?:\(\d+(?:,\d+)?\))?(?:\[\])*"
)
_NOISE = re.compile(r"[()\s]+")


def normalized(definition: str) -> str:
    """`definition` without casts, parentheses and blanks (see above)."""
    return _NOISE.sub("", _CAST.sub("", definition))


def server_version(conn: Connection) -> str:
    """The server's version as people write it, e.g. `15.4`."""
    return conn.query_one("SHOW server_version")[0].split(" ")[0]


def user_schemas(conn: Connection) -> list[str]:
    """The schemas outside PostgreSQL's own (what a restore replaces)."""
    rows = conn.query(f"SELECT n.nspname FROM pg_namespace n WHERE {_USER_SCHEMAS} ORDER BY 1", ())
    return [name for (name,) in rows]


def create_database(conn: Connection, name: str) -> None:
    conn.execute(f"CREATE DATABASE {quote_ident(name)}")


def drop_database(conn: Connection, name: str) -> None:
    """Drop `name`, ending its sessions first (PostgreSQL ≥ 13)."""
    conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
