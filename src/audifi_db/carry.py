"""What a renamed or retyped column takes with it to its successor (`rename-column`,
`change-column-type`): its type, NOT NULL, default, indexes and unique constraints, read from
the schema model the migrations folder leaves. Pure.

What cannot be carried over safely is refused with what to do instead (ConfigError, exit 2,
nothing written): a column in a primary key, a foreign key (either end), a check or
exclusion constraint (the model does not keep their text), an index the model cannot
build again (an expression, a predicate, INCLUDE, an order or operator class, another
method), a default from an identity, a sequence or a generation, and indexes of a
partitioned table (CREATE INDEX CONCURRENTLY cannot build them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from .errors import ConfigError
from .identifiers import fit
from .lint.schema import Column, Index, SchemaModel, Table, sql_name

BY_HAND = "write these migrations by hand"


@dataclass(frozen=True)
class Rebuilt:
    """An index of the old column, built again as `name` on the new one; `old` is the
    name it had (a swap gives it back). `constraint`: it backs a unique constraint (of
    the old index's name), which the new index is attached as."""

    schema: str
    name: str
    old: str
    columns: tuple[str, ...]
    unique: bool
    constraint: bool = False

    @property
    def qualified(self) -> str:
        """The built index's name as SQL, with its schema unless public."""
        return sql_name(f"{self.schema}.{self.name}")

    def create(self, table: str, column: str, new: str) -> str:
        """The concurrent build on `new` (in place of `column`), re-runnable."""
        unique = "UNIQUE " if self.unique else ""
        columns = ", ".join(sql_name(new if c == column else c) for c in self.columns)
        return (
            f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {sql_name(self.name)} "
            f"ON {table} ({columns});"
        )

    def attach(self, table: str, constraint: str) -> str:
        """The unique constraint `constraint` made of the built index (which takes its name)."""
        return (
            f"ALTER TABLE {table} ADD CONSTRAINT {sql_name(constraint)} UNIQUE USING INDEX "
            f"{sql_name(self.name)};"
        )


@dataclass(frozen=True)
class Carried:
    """What the new column must get; `known` is False when the model has not seen the
    column (a table made outside the migrations): then nothing is carried."""

    known: bool
    type: str | None = None
    not_null: bool = False
    default: str | None = None
    indexes: tuple[Rebuilt, ...] = ()


def carried(
    model: SchemaModel,
    where: str,
    table_name: str,
    column_name: str,
    index_name: Callable[[str], str],
) -> Carried:
    """What `table_name`.`column_name` has, its indexes renamed by `index_name` (taken names
    get a number). `where` starts each refusal (`--template T`)."""
    table = model.table_named(table_name)
    column = table.columns.get(column_name) if table else None
    if column is None:
        if table is not None and table.columns_known:
            raise ConfigError(
                f"{where}: {table_name} has no column {column_name} in the schema the "
                "migrations folder leaves",
                "check --table and the column's name against the migrations",
            )
        return Carried(known=False)
    refuse = _Refusal(where, f"{table_name}.{column_name}")
    _check_column(model, table, column, refuse)
    indexes = sorted(model.indexes_on(table.name, column_name), key=lambda index: index.name)
    if indexes and table.kind == "partitioned":
        refuse(
            "has indexes on a partitioned table: CREATE INDEX CONCURRENTLY cannot build them",
            BY_HAND,
        )
    unique_constraints = {c.name for c in table.constraints.values() if c.kind == "unique"}
    taken = set(model.indexes)
    rebuilt = []
    for index in indexes:
        if not index.plain:
            refuse(
                f"is in the index {index.name.rpartition('.')[2]}, which the schema model cannot "
                "build again (an expression, a predicate, INCLUDE, an order, an operator class "
                "or another method)",
                f"drop the index first and build it again on the new column after, or {BY_HAND}",
            )
        rebuilt.append(_rebuilt(index, index_name, taken, unique_constraints))
    return Carried(
        known=True,
        type=column.type.sql,
        not_null=column.not_null,
        default=column.default_sql(),
        indexes=tuple(rebuilt),
    )


class _Refusal:
    def __init__(self, where: str, subject: str) -> None:
        self.where, self.subject = where, subject

    def __call__(self, what: str, remedy: str) -> NoReturn:
        raise ConfigError(
            f"{self.where}: {self.subject} {what}: the template cannot carry that over safely",
            f"nothing was written; {remedy}",
        )


def _check_column(model: SchemaModel, table: Table, column: Column, refuse: _Refusal) -> None:
    if column.has_default and column.default is None:
        refuse("takes its default from an identity, a sequence or a generation", BY_HAND)
    for constraint in table.constraints.values():
        if column.name not in constraint.columns or constraint.kind == "unique":
            continue
        if constraint.kind == "primary":
            refuse(f"is in the primary key {constraint.name}", BY_HAND)
        if constraint.kind == "foreign":
            refuse(
                f"is in the foreign key {constraint.name}",
                f"drop it first and add it back on the new column after (NOT VALID, then "
                f"VALIDATE), or {BY_HAND}",
            )
        refuse(
            f"has the {constraint.kind} constraint {constraint.name}, whose text the schema "
            "model does not keep",
            f"drop it first and add it back on the new column after, or {BY_HAND}",
        )
    primary_key = next((c.columns for c in table.constraints.values() if c.kind == "primary"), ())
    for referencing, key in model.foreign_keys_to(table.name):
        if column.name in (key.referenced or primary_key):
            refuse(
                f"is referenced by the foreign key {key.name} of {sql_name(referencing.name)}",
                f"drop that foreign key first and add it back after, or {BY_HAND}",
            )


def _rebuilt(
    index: Index,
    index_name: Callable[[str], str],
    taken: set[str],
    unique_constraints: set[str],
) -> Rebuilt:
    schema, _, old = index.name.rpartition(".")
    wanted = fit(index_name(old))
    name, number = wanted, 1
    while f"{schema}.{name}" in taken:
        number += 1
        name = fit(f"{wanted}_{number}")
    taken.add(f"{schema}.{name}")
    return Rebuilt(schema, name, old, index.columns, index.unique, old in unique_constraints)
