"""`new NAME --template revert --of VERSION`: the seed's "create a new migration that undoes
changes", drafted from the linter's schema model before and after each of VERSION's
statements, the last one undone first. Pure.

The model knows tables, columns (type, NOT NULL, the default's expression), constraints
(kind, columns), indexes (columns, unique) and triggers by name, not the text of checks,
foreign keys, functions or index expressions, nor a serial's or an identity's default: what
it cannot give back is a `-- TODO` line naming what to restore by hand. What a revert drops or renames is
acknowledged for the linter with the revert as its reason; a dropped column comes back
empty, and the draft says so. Index builds go to a no-transaction migration of their own,
as does restoring a NOT NULL (the linter's validated-check recipe).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import ConfigError
from .lint.engine import replay_folder
from .lint.recipes import not_null
from .lint.replay import dotted_range
from .lint.schema import Column, Index, SchemaModel, Table, sql_name
from .model import Migration
from .sql import expand, parse


@dataclass
class Inverse:
    """The statements (and TODO lines) that undo a migration, by where they must run, each
    list in the order to run it. The no-transaction parts run after the transaction: one
    statement's inverse holds them as what to render (an Index to build again, a (table,
    column) to make NOT NULL) until they are named as the transaction leaves things."""

    tx: list[str] = field(default_factory=list)  # one transaction
    concurrent: list = field(default_factory=list)  # no-transaction: indexes
    not_nulls: list = field(default_factory=list)  # no-transaction: the check recipe
    todo: list[str] = field(default_factory=list)

    def after(self, later: Inverse) -> None:
        """Add the inverse of an earlier statement: it runs after what undoes the later ones."""
        for part in ("tx", "concurrent", "not_nulls", "todo"):
            getattr(self, part)[:0] = getattr(later, part)


def revert_texts(migrations: Sequence[Migration], version: str) -> list[tuple[str, str]]:
    """(step, SQL text) of the migrations undoing `version`: a transactional one, then
    no-transaction ones for indexes and NOT NULLs, each only when it has statements."""
    target = next((m for m in migrations if m.version == version), None)
    if target is None:
        raise ConfigError(
            f"--of {version}: there is no migration {version} in the migrations folder",
            "give the version part of a migration's file name (`audifi-db status` lists them)",
        )
    if target.is_python:
        raise ConfigError(
            f"--of {version}: {target.path} is a Python migration; its changes are made when "
            "it runs, so the schema model cannot tell them",
            "write the revert by hand",
        )
    before = replay_folder(m for m in migrations if m.version < version)
    return _texts(_undo(before, target), target)


def _undo(model: SchemaModel, target: Migration) -> Inverse:
    """The inverse of each of `target`'s statements, from the model before and after it,
    the last statement's first: a migration is undone in reverse order."""
    what = f"{target.version}_{target.name}"
    undone = Inverse()
    earlier: list[_Renames] = []
    model.begin_file(target.path, in_run=True)
    for top in parse(target.sql, target.path):
        for statement in expand(top):
            before = model.snapshot()
            renames = _renames(model, statement)
            model.apply(statement)
            undone.after(_rendered(_Diff(before, model, renames, what).inverse(), earlier))
            earlier.append(renames)
    return undone


def _rendered(inverse: Inverse, earlier: list[_Renames]) -> Inverse:
    """`inverse` with its no-transaction parts as SQL, named as before the migration: they
    run once the transaction has undone the renames of `earlier` statements too."""
    inverse.concurrent = [
        item if isinstance(item, str) else _create_index(_index_before(item, earlier), True)
        for item in inverse.concurrent
    ]
    inverse.not_nulls = [
        not_null(sql_name(table), column)
        for table, column in (_before(key, name, earlier) for key, name in inverse.not_nulls)
    ]
    return inverse


def _before(table: str, column: str, earlier: list[_Renames]) -> tuple[str, str]:
    """(table, column) as named before the `earlier` statements renamed them."""
    for renames in reversed(earlier):
        column = renames.columns.get((table, column), column)
        table = renames.tables.get(table, table)
    return table, column


def _index_before(index: Index, earlier: list[_Renames]) -> Index:
    columns = tuple(_before(index.table, c, earlier)[1] for c in index.columns)
    return index._replace(table=_before(index.table, "", earlier)[0], columns=columns)


@dataclass
class _Renames:
    """What one statement renamed, by its new name: tables, (table, column) and indexes."""

    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[tuple[str, str], str] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)


def _renames(model: SchemaModel, statement) -> _Renames:
    """The renames `statement` makes, read against the model before it."""
    found = _Renames()
    body = statement.body
    if statement.node_type != "RenameStmt" or "relation" not in body:
        return found
    kind = body["renameType"]
    if kind == "OBJECT_INDEX":
        index = model.index_named(dotted_range(body["relation"]))
        if index is not None:
            found.indexes[f"{index.name.partition('.')[0]}.{body['newname']}"] = index.name
        return found
    key = model.table_key(body["relation"])
    if key is not None and kind == "OBJECT_TABLE":
        found.tables[f"{key.partition('.')[0]}.{body['newname']}"] = key
    elif key is not None and kind == "OBJECT_COLUMN":
        found.columns[(key, body["newname"])] = body["subname"]
    return found


class _Diff:
    def __init__(self, before: SchemaModel, after: SchemaModel, renames: _Renames, what: str):
        self.before, self.after, self.renames = before, after, renames
        self.what, self.out = what, Inverse()

    def inverse(self) -> Inverse:
        origins = {self.renames.tables.get(key, key): key for key in self.after.tables}
        for key, table in self.after.tables.items():
            origin = self.renames.tables.get(key, key)
            if origin in self.before.tables:
                self._table(self.before.tables[origin], table)
            else:
                self._created(table)
        for key, table in self.before.tables.items():
            if key not in origins:
                self._dropped(table)
        self._indexes(origins)
        return self.out

    def _allow(self, rule: str, why: str) -> str:
        return f"-- audifi-db: allow {rule} reverting {self.what}, which {why}"

    def _created(self, table: Table) -> None:
        self.out.tx.append(self._allow("dropping-table", "created it: its rows go with it"))
        self.out.tx.append(f"DROP TABLE {sql_name(table.name)};")

    def _dropped(self, table: Table) -> None:
        lines = [
            f"  {sql_name(c.name)} {c.type.sql}"
            + (f" DEFAULT {c.default_sql()}" if c.default else "")
            + (" NOT NULL" if c.not_null else "")
            for c in table.columns.values()
        ]
        for constraint in table.constraints.values():
            if constraint.kind in ("primary", "unique") and constraint.columns:
                kind = "PRIMARY KEY" if constraint.kind == "primary" else "UNIQUE"
                cols = ", ".join(map(sql_name, constraint.columns))
                lines.append(f"  CONSTRAINT {sql_name(constraint.name)} {kind} ({cols})")
            elif not constraint.not_null_of:
                self.out.todo.append(
                    f"restore the {constraint.kind} constraint {constraint.name} of {sql_name(table.name)}"
                )
        self.out.tx.append(
            f"-- {sql_name(table.name)} comes back empty: {self.what} dropped it with its rows\n"
            f"CREATE TABLE {sql_name(table.name)} (\n" + ",\n".join(lines) + "\n);"
        )
        constrained = {c.name for c in table.constraints.values()}
        for index in (self.before.indexes[k] for k in sorted(table.indexes)):
            if index.name.rpartition(".")[2] not in constrained:
                self.out.tx.append(_create_index(index, False))
        self.out.todo += [
            f"restore the default of {sql_name(table.name)}.{c.name}"
            for c in table.columns.values()
            if c.has_default and c.default is None
        ]
        self.out.todo += [f"restore trigger {t} on {sql_name(table.name)}" for t in table.triggers]

    def _table(self, old: Table, new: Table) -> None:
        t = sql_name(new.name)
        for constraint in new.constraints:
            if constraint not in old.constraints:
                self.out.tx.append(f"ALTER TABLE {t} DROP CONSTRAINT {sql_name(constraint)};")
        self._columns(old, new, t)
        self.out.todo += [
            f"restore the {c.kind} constraint {n} of {sql_name(old.name)}"
            for n, c in old.constraints.items()
            if n not in new.constraints and not c.not_null_of
        ]
        for trigger in new.triggers:
            if trigger not in old.triggers:
                self.out.tx.insert(0, f"DROP TRIGGER IF EXISTS {sql_name(trigger)} ON {t};")
                self.out.tx.insert(0, self._allow("dropping-trigger", "created it"))
                self.out.todo.append(
                    f"drop the function of trigger {trigger}, if {self.what} made it for it"
                )
        self.out.todo += [
            f"restore trigger {n} on {sql_name(old.name)}"
            for n in old.triggers
            if n not in new.triggers
        ]
        if new.name != old.name:
            self.out.tx.append(self._allow("renaming-table", f"renamed it from {old.short}"))
            self.out.tx.append(f"ALTER TABLE {t} RENAME TO {sql_name(old.short)};")

    def _columns(self, old: Table, new: Table, t: str) -> None:
        originals = {n: self.renames.columns.get((new.name, n), n) for n in new.columns}
        for column_name, column in new.columns.items():
            was = old.columns.get(originals[column_name])
            if was is None:
                self.out.tx.append(self._allow("dropping-column", f"added {column_name}"))
                self.out.tx.append(f"ALTER TABLE {t} DROP COLUMN {sql_name(column_name)};")
                continue
            self._column(new.name, old, column_name, was, column)
            if originals[column_name] != column_name:
                self.out.tx.append(self._allow("renaming-column", f"renamed {was.name}"))
                self.out.tx.append(
                    f"ALTER TABLE {t} RENAME COLUMN {sql_name(column_name)} TO {sql_name(was.name)};"
                )
        for column_name, was in old.columns.items():
            if column_name not in originals.values():
                self.out.tx.append(
                    f"-- {t}.{column_name} comes back empty (NULL in every row): "
                    f"{self.what} dropped it with its values"
                    + (", and it was NOT NULL" if was.not_null else "")
                    + f"\nALTER TABLE {t} ADD COLUMN {sql_name(column_name)} {was.type.sql};"
                )
                self._default(t, f"{sql_name(old.name)}.{column_name}", was)

    def _column(self, key: str, old: Table, column_name: str, was: Column, now: Column) -> None:
        t, qualified = sql_name(key), f"{sql_name(old.name)}.{was.name}"
        if was.type.stored() != now.type.stored():
            self.out.todo.append(
                f"change {qualified} back to {was.type.sql} ({now.type.sql} since {self.what}): "
                f"`audifi-db new NAME --template change-column-type --table {t} --column "
                f"{column_name} --type '{was.type.sql}'` does it without a long lock"
            )
        if now.not_null and not was.not_null:
            self.out.tx.append(
                f"ALTER TABLE {t} ALTER COLUMN {sql_name(column_name)} DROP NOT NULL;"
            )
        elif was.not_null and not now.not_null:
            self.out.not_nulls.append((key, column_name))
        if now.has_default and not was.has_default:
            if now.not_null:
                self.out.tx.append(self._allow("dropping-required-column-default", "set it"))
            self.out.tx.append(
                f"ALTER TABLE {t} ALTER COLUMN {sql_name(column_name)} DROP DEFAULT;"
            )
        elif was.has_default and (not now.has_default or was.default_sql() != now.default_sql()):
            self._default(t, qualified, was._replace(name=column_name))

    def _default(self, t: str, qualified: str, was: Column) -> None:
        """`was`'s default back on its column (of that name now), or a TODO line when the
        model has not its expression."""
        if was.default is not None:
            self.out.tx.append(
                f"ALTER TABLE {t} ALTER COLUMN {sql_name(was.name)} SET DEFAULT "
                f"{was.default_sql()};"
            )
        elif was.has_default:
            self.out.todo.append(f"restore the default of {qualified}")

    def _indexes(self, origins: dict[str, str]) -> None:
        renamed = self.renames.indexes
        for key, index in self.after.indexes.items():
            table = self.renames.tables.get(index.table, index.table)
            if key in renamed:
                short = renamed[key].rpartition(".")[2]
                self.out.tx.append(f"ALTER INDEX {sql_name(key)} RENAME TO {sql_name(short)};")
            elif key not in self.before.indexes and table in self.before.tables:
                self.out.concurrent.append(f"DROP INDEX CONCURRENTLY IF EXISTS {sql_name(key)};")
        for key, index in self.before.indexes.items():
            gone = key not in self.after.indexes and key not in renamed.values()
            if gone and index.table in origins:
                self.out.concurrent.append(index)


def _create_index(index: Index, concurrently: bool) -> str:
    """The index again, when the model knows all of it (`plain`); else a TODO: an index
    rebuilt from its columns alone would lose its expression, predicate or method (a partial
    unique index would come back stricter)."""
    if not index.plain:
        return (
            f"-- TODO: rebuild index {index.name} as {index.origin} made it (an expression, a "
            "predicate, INCLUDE or a method the model does not keep)"
        )
    unique = "UNIQUE " if index.unique else ""
    how = "CONCURRENTLY IF NOT EXISTS " if concurrently else ""
    columns = ", ".join(map(sql_name, index.columns))
    name = sql_name(index.name.rpartition(".")[2])
    return f"CREATE {unique}INDEX {how}{name} ON {sql_name(index.table)} ({columns});"


def _texts(inverse: Inverse, target: Migration) -> list[tuple[str, str]]:
    head = (
        f"-- Reverts {target.path} (audifi-db new --template revert --of {target.version}),\n"
        "-- drafted from the schema model before and after each of its statements, the last one\n"
        "-- undone first: review every line.\n"
    )
    todo = "".join(f"-- TODO: {item}\n" for item in inverse.todo)
    made = []
    if inverse.tx:
        made.append(("revert", head + todo + "\n".join(inverse.tx) + "\n"))
        todo = ""
    no_tx = "-- audifi-db: no-transaction\n"
    if inverse.concurrent:
        made.append(("revert_indexes", no_tx + head + todo + "\n".join(inverse.concurrent) + "\n"))
        todo = ""
    if inverse.not_nulls:
        body = "\n".join(s.removeprefix(no_tx) for s in inverse.not_nulls)
        made.append(("revert_not_null", no_tx + head + todo + body + "\n"))
        todo = ""
    if not made:
        raise ConfigError(
            f"--of {target.version}: nothing in {target.path} that the schema model can undo"
            + (f" ({'; '.join(inverse.todo)})" if inverse.todo else ""),
            "write the revert by hand",
        )
    return made
