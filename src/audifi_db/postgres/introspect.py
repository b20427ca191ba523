"""Read tables, columns and foreign keys from the PostgreSQL catalog for the ER diagram."""

from __future__ import annotations

from collections.abc import Sequence

from ..erd import Column, ForeignKey, Table
from .connect import Connection

# Ordinary and partitioned tables, never the partitions themselves.
_COLUMNS_SQL = """
SELECT c.relname,
       a.attname,
       format_type(a.atttypid, a.atttypmod),
       a.attnum = ANY (coalesce(pk.conkey, '{}')) AS is_primary_key,
       EXISTS (SELECT 1 FROM pg_constraint f
               WHERE f.conrelid = c.oid AND f.contype = 'f' AND a.attnum = ANY (f.conkey)) AS is_foreign_key,
       NOT a.attnotnull AS nullable
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname = ANY (%(schemas)s) AND c.relname <> %(history)s
ORDER BY c.relname, a.attnum
"""

# Foreign keys declared on those tables; conparentid = 0 drops the copies
# PostgreSQL makes for each partition.
_FOREIGN_KEYS_SQL = """
SELECT c.relname,
       array(SELECT attname FROM unnest(f.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute ON attrelid = f.conrelid AND attnum = k.num ORDER BY k.ord),
       r.relname,
       array(SELECT attname FROM unnest(f.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute ON attrelid = f.confrelid AND attnum = k.num ORDER BY k.ord)
FROM pg_constraint f
JOIN pg_class c ON c.oid = f.conrelid
JOIN pg_class r ON r.oid = f.confrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE f.contype = 'f' AND f.conparentid = 0 AND NOT c.relispartition
  AND n.nspname = ANY (%(schemas)s) AND c.relname <> %(history)s
ORDER BY c.relname, f.conname
"""


def read_schema(
    conn: Connection, schemas: Sequence[str], history_table: str
) -> tuple[list[Table], list[ForeignKey]]:
    """The tables (partition parents only) and foreign keys of `schemas`, without the
    migration tool's own history table. Only catalog queries are run."""
    params = {"schemas": list(schemas), "history": history_table}
    column_rows = conn.query(_COLUMNS_SQL, params)
    foreign_key_rows = conn.query(_FOREIGN_KEYS_SQL, params)

    columns: dict[str, list[Column]] = {}
    for table, name, data_type, is_pk, is_fk, nullable in column_rows:
        columns.setdefault(table, []).append(Column(name, data_type, is_pk, is_fk, nullable))
    tables = [Table(name, tuple(cols)) for name, cols in columns.items()]
    foreign_keys = [
        ForeignKey(table, tuple(cols), ref, tuple(ref_cols))
        for table, cols, ref, ref_cols in foreign_key_rows
    ]
    return tables, foreign_keys
