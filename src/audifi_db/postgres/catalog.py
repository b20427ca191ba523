"""What the catalog says, and the few catalog-level actions the runner needs."""

from __future__ import annotations

from collections.abc import Sequence

from .connect import Connection
from .history import quote_ident


def server_version(conn: Connection) -> int:
    """The server's version as an integer, e.g. 150004."""
    return int(conn.query_one("SHOW server_version_num")[0])


def find_index(
    conn: Connection, schema: str | None, table: str, name: str
) -> tuple[str, bool] | None:
    """(qualified name, is valid) of index `name` in the schema of `table` (found through
    the search_path when `schema` is None, as PostgreSQL finds it), or None if there is none."""
    relation = ".".join(quote_ident(part) for part in (schema, table) if part)
    row = conn.query_one(
        """
        SELECT format('%%I.%%I', n.nspname, c.relname), i.indisvalid
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relname = %s
           AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass(%s))
        """,
        (name, relation),
    )
    return (row[0], row[1]) if row else None


def primary_key(conn: Connection, table: str) -> list[str] | None:
    """The columns of `table`'s primary key, quoted, in key order ([] without one); None
    when there is no such table."""
    row = conn.query_one(
        """
        SELECT to_regclass(%s) IS NOT NULL,
               ARRAY(SELECT quote_ident(a.attname)
                       FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                       JOIN pg_attribute a ON a.attnum = k.attnum
                      WHERE i.indrelid = to_regclass(%s) AND i.indisprimary
                        AND a.attrelid = i.indrelid
                      ORDER BY k.n)
        """,
        (table, table),
    )
    return list(row[1]) if row and row[0] else None


def key_range(conn: Connection, table: str, key: str) -> tuple[object, object]:
    """The lowest and highest value of an indexed key (two index probes)."""
    row = conn.query_one(f"SELECT min({key}), max({key}) FROM {table}")
    return (row[0], row[1]) if row else (None, None)


def replica_lag(conn: Connection) -> tuple[str, float] | None:
    """The replica with the largest replay lag, as (who, seconds), from pg_stat_replication;
    None when none lags (or this role may not see the lag: it needs pg_monitor)."""
    row = conn.query_one(
        """
        SELECT coalesce(nullif(application_name, ''), host(client_addr), 'pid ' || pid),
               extract(epoch FROM replay_lag)::float8
          FROM pg_stat_replication
         WHERE replay_lag IS NOT NULL
         ORDER BY replay_lag DESC
         LIMIT 1
        """
    )
    return (row[0], row[1]) if row else None


def unseen_replicas(conn: Connection) -> int:
    """Streaming replicas whose lag this role cannot read: without pg_read_all_stats
    (pg_monitor), pg_stat_replication shows a replica's pid and nothing else."""
    row = conn.query_one("SELECT count(*) FROM pg_stat_replication WHERE state IS NULL")
    return int(row[0]) if row else 0


def drop_index_concurrently(conn: Connection, qualified_name: str) -> None:
    conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {qualified_name}")


def recreate_schemas(
    conn: Connection, schemas: tuple[str, ...], drop_only: tuple[str, ...] = ()
) -> None:
    """Drop `schemas` and `drop_only` with all they hold, then create `schemas` empty again,
    in one transaction (reset only)."""
    conn.execute("BEGIN")
    for statement in recreate_schemas_sql((*drop_only, *schemas), schemas):
        conn.execute(statement)
    conn.execute("COMMIT")


def recreate_schemas_sql(drop: Sequence[str], create: Sequence[str]) -> list[str]:
    """Statements dropping `drop` with all they hold, then creating `create` empty (`public`
    as a new database has it). Run by `reset`, and by `restore` before the dump's own SQL."""
    statements = [f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE" for schema in drop]
    for schema in create:
        if schema == "public":
            statements.append("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
            statements.append("GRANT USAGE ON SCHEMA public TO PUBLIC")
        else:
            statements.append(f"CREATE SCHEMA {quote_ident(schema)}")
    return statements


def user_schemas(conn: Connection) -> list[str]:
    """The schemas of the database that are not PostgreSQL's own, by name."""
    rows = conn.query(
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
        "AND nspname <> 'information_schema' ORDER BY 1"
    )
    return [row[0] for row in rows]


def has_tables(conn: Connection, schemas: tuple[str, ...]) -> bool:
    """Whether any table lives in `schemas`."""
    row = conn.query_one(
        "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (%s))",
        (list(schemas),),
    )
    return bool(row and row[0])


# What a migration's own session measures (observe.measure), and what the lock watcher sees
# from its own connection (observe.watch). System schemas are left out: every query reads
# the catalog, and that is not the migration's doing.
_USER_SCHEMA = (
    "{n}.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND {n}.nspname NOT LIKE 'pg\\_toast%%' AND {n}.nspname NOT LIKE 'pg\\_temp%%'"
)
_THIS_DATABASE = "(SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())"
_INDEX_TABLE = """(SELECT tn.nspname || '.' || tc.relname
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
          JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
         WHERE i.indexrelid = c.oid)"""
# Relations by [schema or null for the search path, name] ($1, a JSON list), as JSON rows.
# Sizing takes ACCESS SHARE: behind another session's ACCESS EXCLUSIVE it waits 1 s at most
# (lock_timeout, set for this query alone: `wait` sets it before `found` sizes anything, the
# last column puts the old value back), then fails; the caller then says nothing about
# "before". Sizes are of the main fork (pg_relation_size): a stat() or two, where the total
# with indexes and TOAST costs a dozen.
_NAMED_SQL = f"""
WITH wait AS MATERIALIZED (
    SELECT pg_catalog.current_setting('lock_timeout') AS was,
           pg_catalog.set_config('lock_timeout', '1000', true) AS bounded
), found AS MATERIALIZED (
    SELECT DISTINCT ON (t.ord) n.nspname, c.relname, c.relkind::text AS relkind,
           c.relfilenode::bigint AS relfilenode,
           pg_catalog.pg_relation_size(c.oid) AS bytes,
           CASE WHEN c.relkind IN ('i', 'I') THEN {_INDEX_TABLE} END AS of_table
      FROM wait, pg_catalog.json_array_elements($1::json) WITH ORDINALITY AS t(named, ord)
      JOIN pg_catalog.pg_class c ON c.relname = t.named ->> 1
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE (n.nspname = t.named ->> 0
            OR (t.named ->> 0 IS NULL
                AND n.nspname = ANY (pg_catalog.current_schemas(false))))
     ORDER BY t.ord, pg_catalog.array_position(pg_catalog.current_schemas(false), n.nspname::text)
)
SELECT (SELECT coalesce(pg_catalog.json_agg(found), '[]') FROM found),
       (SELECT pg_catalog.set_config('lock_timeout', was, true) FROM wait)
"""
# Each relation lock this session holds on a user relation (oid 16384 and up: no catalog),
# one row per mode; whether this transaction wrote the relation's catalog row (created,
# altered or rebuilt it); the main fork's size of each table and of each index it wrote,
# and that index's table.
_HELD_SQL = f"""
SELECT n.nspname, c.relname, c.relkind::text, c.relfilenode,
       CASE WHEN c.relkind IN ('r', 'p', 'm') OR w.written
            THEN pg_catalog.pg_relation_size(c.oid) END,
       w.written,
       CASE WHEN c.relkind IN ('i', 'I') AND w.written THEN {_INDEX_TABLE} END,
       l.mode
  FROM pg_catalog.pg_locks l
  JOIN pg_catalog.pg_class c ON c.oid = l.relation
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL (SELECT pg_catalog.age(c.xmin) = 0 AS written) w
 WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
   AND l.relation >= 16384 AND {_USER_SCHEMA.format(n="n")}
"""
_PREPARED = {"audifi_db_named(json)": _NAMED_SQL, "audifi_db_held": _HELD_SQL}


def prepare_measures(conn: Connection) -> None:
    """Prepare the two measuring queries on this session (planning them costs more than
    running them, once per migration)."""
    conn.execute(
        "; ".join(f"PREPARE {name} AS {sql}" for name, sql in _PREPARED.items()).replace("%%", "%")
    )


def named_relations(
    conn: Connection,
    names: Sequence[tuple[str | None, str]],
    *,
    prepared: bool,
    prefix: str = "",
) -> list[tuple]:
    """(schema, name, relkind, relfilenode, bytes, table of an index) of each named
    relation that exists; `prefix` (BEGIN) is sent in the same round trip. Raises
    ServerError when a relation stayed locked by another session for a second."""
    import json

    read = "EXECUTE audifi_db_named(%s)" if prepared else _NAMED_SQL.replace("$1", "%s")
    (found, _) = conn.query(f"{prefix}; {read}" if prefix else read, (json.dumps(list(names)),))[0]
    keys = ("nspname", "relname", "relkind", "relfilenode", "bytes", "of_table")
    return [tuple(row[key] for key in keys) for row in found]


def held_relations(conn: Connection, *, prepared: bool) -> list[tuple]:
    """(schema, name, relkind, relfilenode, bytes, written here, table of an index, mode) of
    each relation lock the session holds on a user relation, one per mode (bytes: of
    tables, and of indexes written here)."""
    return conn.query("EXECUTE audifi_db_held", None) if prepared else conn.query(_HELD_SQL, ())


def backend_locks(conn: Connection, pid: int) -> list[tuple[str, str, str]]:
    """(relation, relkind, mode) of the relation locks backend `pid` holds in this database."""
    return conn.query(
        f"""
        SELECT coalesce(n.nspname || '.' || c.relname, l.relation::text),
               coalesce(c.relkind::text, ''), l.mode
          FROM pg_catalog.pg_locks l
          LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
          LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE l.pid = %s AND l.locktype = 'relation' AND l.granted
           AND l.database = {_THIS_DATABASE}
           AND ({_USER_SCHEMA.format(n="n")} OR n.nspname IS NULL)
        """,
        (pid,),
    )


def lock_waiters(conn: Connection, pid: int) -> list[tuple[int, str, str, str, str, int]]:
    """Sessions of this database waiting for a lock that backend `pid` holds: (pid, user,
    application, what it waits for, mode, ms waited so far)."""
    return conn.query(
        """
        SELECT a.pid, coalesce(a.usename::text, ''), coalesce(a.application_name, ''),
               coalesce(n.nspname || '.' || c.relname, w.locktype), w.mode,
               (extract(epoch FROM clock_timestamp()
                  - coalesce((to_jsonb(w) ->> 'waitstart')::timestamptz, a.query_start))
                * 1000)::bigint
          FROM pg_catalog.pg_stat_activity a
          JOIN pg_catalog.pg_locks w ON w.pid = a.pid AND NOT w.granted
          LEFT JOIN pg_catalog.pg_class c ON c.oid = w.relation
          LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE a.datname = current_database() AND a.wait_event_type = 'Lock'
           AND %s = ANY (pg_catalog.pg_blocking_pids(a.pid))
        """,
        (pid,),
    )
