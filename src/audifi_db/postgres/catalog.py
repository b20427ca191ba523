"""What the catalog says, and the few catalog-level actions the runner needs."""

from __future__ import annotations

from collections.abc import Sequence

from .connect import Connection
from .history import quote_ident


def server_version(conn: Connection) -> int:
    """The server's version as an integer, e.g. 150004."""
    return int(conn.query_one("SHOW server_version_num")[0])


def find_index(conn: Connection, schema: str | None, name: str) -> tuple[str, bool] | None:
    """(qualified name, is valid) of index `name`, or None if there is none."""
    row = conn.query_one(
        """
        SELECT format('%%I.%%I', n.nspname, c.relname), i.indisvalid
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relname = %s
           AND (n.nspname = %s OR (%s IS NULL AND n.oid = ANY (current_schemas(false)::regnamespace[])))
        """,
        (name, schema, schema),
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
