"""The schema model: what the database holds before a statement runs.

Pure code: no I/O, nothing from `postgres/`. A `SchemaModel` is built either by replaying
migrations (`SchemaModel.apply(statement)`, see `replay.py`) or from the live catalogue's
plain values (`from_catalog`, fed by `postgres/catalog_schema.py`), then advanced by the
pending migrations. Shared by the linter, `lint --explain` and `lint --trace`, and meant for
drift detection and revert drafts.

Columns, constraints, indexes and sessions are named tuples (immutable, and cheap to
create: a dataclass costs a millisecond at import, which every `audifi-db lint` pays); a
`Table` is updated in place (a folder of thousands of statements replays in linear time),
and `snapshot()` copies what later changes would touch. Names are stored as PostgreSQL
stores them (the parser already folded unquoted identifiers to lower case) and qualified
with their schema: `public.users`. `resolve` finds an unqualified name through the search
path, as PostgreSQL does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import NamedTuple

from .column_types import ColumnType, Domain, is_utc

LIVE = "the database"  # `origin` of what the live catalogue holds
_PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_$]*$")
UNKNOWN = "outside what the linter read"  # a table only known from statements about it


class Column(NamedTuple):
    """A column; `since` is where its current type was set (a file, or the database).
    `default` is the default's expression as parsed (`lint.deparse.sql_of` gives its SQL),
    None when there is none or it is not an expression the model read: a serial's,
    an identity's, a generated column's, the live catalogue's."""

    name: str
    type: ColumnType
    not_null: bool = False
    has_default: bool = False
    since: str = LIVE
    origin: str = LIVE
    new: bool = False
    default: dict | None = None

    def default_sql(self) -> str | None:
        """The default's expression as SQL; None when the model has none."""
        if self.default is None:
            return None
        from .deparse import sql_of  # pglast's printer: only drafts pay for it

        return sql_of(self.default)


class Constraint(NamedTuple):
    """A table constraint. `kind`: check, foreign, unique, primary, exclusion.
    `not_null_of` names the column of a `CHECK (col IS NOT NULL)`. A foreign key
    `references` a table, and its `referenced` columns (empty: the table's primary key, or
    not read, from the live catalogue)."""

    name: str
    kind: str
    columns: tuple[str, ...] = ()
    validated: bool = True
    not_null_of: str | None = None
    references: str | None = None
    added_in: str = LIVE
    referenced: tuple[str, ...] = ()


class Index(NamedTuple):
    """An index: its key `columns` (those named plainly), and the columns it `mentions`
    otherwise (in an expression, its predicate, INCLUDE). `plain`: its columns and `unique`
    are all there is to it (a B-tree on plain columns in their default order), so it can
    be built again from the model; False when not known (the live catalogue's)."""

    name: str  # qualified, like tables
    table: str
    columns: tuple[str, ...] = ()
    unique: bool = False
    valid: bool = True
    origin: str = LIVE
    plain: bool = False
    mentions: tuple[str, ...] = ()

    def on(self, column: str) -> bool:
        """Whether the index reads `column` (dropping the column drops the index)."""
        return column in self.columns or column in self.mentions


class Table:
    """A relation with columns. `kind`: table, partitioned, view, matview, foreign.
    `rows` is the catalogue's estimate (None: unknown); `new` means created in this run or
    earlier in the file being linted, so no running code uses it yet. A table the model
    learns of only because a statement alters it has `origin` UNKNOWN and no known
    columns: it exists, and what later statements do to it is recorded."""

    def __init__(
        self,
        name: str,
        kind: str = "table",
        columns: dict[str, Column] | None = None,
        constraints: dict[str, Constraint] | None = None,
        triggers: dict[str, bool] | None = None,  # name -> enabled
        origin: str = LIVE,
        new: bool = False,
        rows: float | None = None,
        partition_of: str | None = None,
        partition_key: tuple[str, ...] = (),
        unlogged: bool = False,
        columns_known: bool = True,
        indexes: set[str] | None = None,  # keys of SchemaModel.indexes
    ) -> None:
        self.name = name
        self.kind = kind
        self.columns = {} if columns is None else columns
        self.constraints = {} if constraints is None else constraints
        self.triggers = {} if triggers is None else triggers
        self.origin = origin
        self.new = new
        self.rows = rows
        self.partition_of = partition_of
        self.partition_key = partition_key
        self.unlogged = unlogged
        self.columns_known = columns_known
        self.indexes = set() if indexes is None else indexes

    def __repr__(self) -> str:
        return f"Table({self.name!r}, kind={self.kind!r}, origin={self.origin!r})"

    def copy(self) -> Table:
        return Table(
            self.name,
            self.kind,
            dict(self.columns),
            dict(self.constraints),
            dict(self.triggers),
            self.origin,
            self.new,
            self.rows,
            self.partition_of,
            self.partition_key,
            self.unlogged,
            self.columns_known,
            set(self.indexes),
        )

    @property
    def short(self) -> str:
        return self.name.rpartition(".")[2]

    def column(self, name: str) -> Column | None:
        return self.columns.get(name)

    def proven_not_null(self, column: str) -> bool:
        """A validated `CHECK (column IS NOT NULL)` (or the column is NOT NULL already)."""
        found = self.columns.get(column)
        return (found is not None and found.not_null) or any(
            c.validated and c.not_null_of == column for c in self.constraints.values()
        )

    def checks_on(self, column: str) -> list[Constraint]:
        return [c for c in self.constraints.values() if c.kind == "check" and column in c.columns]

    def size(self) -> str:
        """`about 12 M rows`, or empty when unknown."""
        if self.new:
            return "new in this run, empty"
        if self.rows is None:
            return ""
        return f"about {_rounded(self.rows)} rows"


def sql_name(dotted: str) -> str:
    """A name of the model as SQL: `public.` left out, quoted where it must be."""
    schema, _, short = dotted.rpartition(".")
    parts = [short] if schema in ("", "public") else [schema, short]
    return ".".join(p if _PLAIN_NAME.match(p) else '"' + p.replace('"', '""') + '"' for p in parts)


SMALL_TABLE_ROWS = 1000  # below this, a lock or a rewrite lasts milliseconds: a warning


def is_small(table: Table | None) -> bool:
    return table is not None and table.rows is not None and table.rows < SMALL_TABLE_ROWS


def _rounded(rows: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if rows >= size:
            return f"{rows / size:.0f} {unit}"
    return f"{rows:.0f}"


class Session(NamedTuple):
    """Session state a migration can SET; reset for each migration (the runner does too)."""

    search_path: tuple[str, ...] = ("public",)
    timezone: str = "UTC"


class SchemaModel:
    """Tables (with columns, constraints, triggers), indexes, schemas, enums and domains.

    `created`: schemas and types (enums, domains) created by a file, by their current
    names: name -> (file, in the run). `leaned_on_run` is set when an object was judged
    new only because an earlier migration of this run created it: where that migration
    is applied already, the verdict would differ."""

    def __init__(
        self,
        tables: dict[str, Table] | None = None,
        indexes: dict[str, Index] | None = None,
        schemas: set[str] | None = None,
        enums: dict[str, tuple[str, ...]] | None = None,
        domains: dict[str, Domain] | None = None,
        base_session: Session | None = None,
        session: Session | None = None,
        path: str = "",
        in_run: bool = True,
        created: dict[str, tuple[str, bool]] | None = None,
    ) -> None:
        self.tables = {} if tables is None else tables
        self.indexes = {} if indexes is None else indexes
        self.schemas = {"public"} if schemas is None else schemas
        self.enums = {} if enums is None else enums
        self.domains = {} if domains is None else domains
        self.base_session = Session() if base_session is None else base_session
        self.session = Session() if session is None else session
        self.path = path
        self.in_run = in_run
        self.created = {} if created is None else created
        self.leaned_on_run = False

    # -- files -------------------------------------------------------------------------
    def begin_file(self, path: str, *, in_run: bool) -> None:
        """Start a migration: its session starts afresh; `in_run` says whether what it
        creates stays new for the migrations after it (pending ones) or not (applied).
        Within the migration itself, what it created earlier is always new."""
        self.path, self.in_run = path, in_run
        self.session = self.base_session

    def snapshot(self) -> SchemaModel:
        """A copy that later `apply` calls on either side do not change."""
        copy = SchemaModel(
            {key: table.copy() for key, table in self.tables.items()},
            dict(self.indexes),
            set(self.schemas),
            dict(self.enums),
            dict(self.domains),
            self.base_session,
            self.session,
            self.path,
            self.in_run,
            dict(self.created),
        )
        copy.leaned_on_run = self.leaned_on_run
        return copy

    def apply(self, statement) -> None:
        """Advance the model past one parsed statement (`sql.Statement`)."""
        _replay().apply(self, statement.node_type, statement.body)

    # -- names -------------------------------------------------------------------------
    def qualify(self, name: str, schema: str | None = None) -> str:
        """`schema.name` for a new object: its own schema, else the first of the path."""
        if schema:
            return f"{schema}.{name}"
        first = next((s for s in self.session.search_path if s in self.schemas), "public")
        return f"{first}.{name}"

    def _lookup(self, space: dict, name: str, schema: str | None) -> str | None:
        if schema:
            key = f"{schema}.{name}"
            return key if key in space else None
        for candidate in self.session.search_path:
            key = f"{candidate}.{name}"
            if key in space:
                return key
        return None

    def table_key(self, range_var: dict) -> str | None:
        """The qualified name of a RangeVar's relation, when the model knows it."""
        return self._lookup(self.tables, range_var["relname"], range_var.get("schemaname"))

    def table(self, range_var: dict) -> Table | None:
        key = self.table_key(range_var)
        return self.tables[key] if key else None

    def table_named(self, dotted: str) -> Table | None:
        schema, _, name = dotted.rpartition(".")
        key = self._lookup(self.tables, name, schema or None)
        return self.tables[key] if key else None

    def index_named(self, dotted: str) -> Index | None:
        schema, _, name = dotted.rpartition(".")
        key = self._lookup(self.indexes, name, schema or None)
        return self.indexes[key] if key else None

    def type_name(self, dotted: str) -> str:
        """A user type's qualified name (enums and domains), as written when unknown."""
        schema, _, name = dotted.rpartition(".")
        key = self._lookup(self.enums, name, schema or None) or self._lookup(
            self.domains, name, schema or None
        )
        return key or dotted

    def is_new(self, range_var: dict) -> bool:
        table = self.table(range_var)
        return table is not None and self.is_new_table(table)

    def is_new_table(self, table: Table) -> bool:
        """Created in this run, or earlier in the migration being linted."""
        return table.origin == self.path or self._from_run(table.new)

    def record_created(self, name: str) -> None:
        """Note that this file creates schema or type `name` (for `is_new_object`)."""
        self.created[name] = (self.path, self.in_run)

    def is_new_object(self, name: str) -> bool:
        """Whether a schema or a type was created in this run or earlier in this file."""
        path, in_run = self.created.get(name, ("", False))
        return (bool(path) and path == self.path) or self._from_run(in_run)

    def is_new_column(self, column: Column) -> bool:
        """Added in this run (every row holds its default, or NULL)."""
        return column.origin == self.path or self._from_run(column.new)

    def _from_run(self, new: bool) -> bool:
        """`new` (made by an earlier migration of this run), noted in `leaned_on_run`."""
        self.leaned_on_run = self.leaned_on_run or new
        return new

    @property
    def utc(self) -> bool:
        return is_utc(self.session.timezone)

    def indexes_on(self, table: str, column: str | None = None) -> Iterator[Index]:
        found = self.tables.get(table)
        for key in list(found.indexes) if found else ():
            index = self.indexes[key]
            if column is None or index.on(column):
                yield index

    def foreign_keys_to(self, table: str) -> list[tuple[Table, Constraint]]:
        """The foreign keys referencing `table`, each with the table it is on."""
        return [
            (referencing, constraint)
            for referencing in self.tables.values()
            for constraint in referencing.constraints.values()
            if constraint.kind == "foreign" and constraint.references == table
        ]

    def add_index(self, index: Index) -> None:
        self.drop_index(index.name)
        self.indexes[index.name] = index
        if index.table in self.tables:
            self.tables[index.table].indexes.add(index.name)

    def drop_index(self, key: str) -> Index | None:
        index = self.indexes.pop(key, None)
        if index is not None and index.table in self.tables:
            self.tables[index.table].indexes.discard(key)
        return index

    def drop_table(self, key: str) -> None:
        table = self.tables.pop(key, None)
        for name in table.indexes if table else ():
            self.indexes.pop(name, None)


@functools.cache
def _replay():
    """`replay.py`, which builds on this module: imported on first use, once (an import
    statement in `apply` costs 2 µs of every statement)."""
    from . import replay

    return replay


def from_catalog(catalog: CatalogValues) -> SchemaModel:
    """The model of a live database, from `postgres.catalog_schema.read_catalog`'s values."""
    from .catalog_model import build

    return build(catalog)


class CatalogValues(NamedTuple):
    """What `postgres/catalog_schema.py` reads, as plain values (rows of tuples).

    tables: (schema, name, relkind, relpersistence, rows or None, parent or None, key columns)
    columns: (table, name, format_type text, not null, has default)
    constraints: (table, name, contype, validated, columns, check expression or None,
    referenced table or None); indexes: (schema, name, table, columns, unique, valid);
    enums: (qualified name, labels); domains: (qualified name, base type text, constrained);
    triggers: (table, name, enabled).
    """

    search_path: tuple[str, ...]
    timezone: str
    schemas: tuple[str, ...]
    tables: tuple[tuple, ...] = ()
    columns: tuple[tuple, ...] = ()
    constraints: tuple[tuple, ...] = ()
    indexes: tuple[tuple, ...] = ()
    enums: tuple[tuple, ...] = ()
    domains: tuple[tuple, ...] = ()
    triggers: tuple[tuple, ...] = ()
