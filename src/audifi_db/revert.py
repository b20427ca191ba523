"""`new NAME --template revert --of VERSION`: the seed's "create a new migration that undoes
changes", drafted from the linter's schema model before and after VERSION. Pure.

The model knows tables, columns (type, NOT NULL, whether there is a default), constraints
(kind, columns), indexes (columns, unique) and triggers by name, not the text of defaults,
checks, foreign keys, functions or index expressions: what it cannot give back is a
`-- TODO` line naming what to restore by hand. What a revert drops or renames is
acknowledged for the linter with the revert as its reason; a dropped column comes back
empty, and the draft says so. Index builds go to a no-transaction migration of their own,
as does restoring a NOT NULL (the linter's validated-check recipe).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import ConfigError
from .lint.engine import replay_source
from .lint.recipes import not_null
from .lint.schema import SchemaModel, Table
from .model import Migration
from .sql import expand, parse

PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


@dataclass
class Inverse:
    """The statements (and TODO lines) that undo one migration, by where they must run."""

    tx: list[str] = field(default_factory=list)  # one transaction
    renames: list[str] = field(default_factory=list)  # last in it: the names go back
    tables: list[str] = field(default_factory=list)  # tables dropped or made again
    concurrent: list[str] = field(default_factory=list)  # no-transaction: indexes
    not_nulls: list[str] = field(default_factory=list)  # no-transaction: the check recipe
    todo: list[str] = field(default_factory=list)


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
    before = SchemaModel()
    for migration in migrations:
        if migration.version < version and not migration.is_python:
            replay_source(migration.path, migration.sql, before)
    after, tables, columns = _replay_noting_renames(before.snapshot(), target)
    inverse = _Diff(before, after, tables, columns, f"{version}_{target.name}").inverse()
    return _texts(inverse, target)


def _replay_noting_renames(model: SchemaModel, target: Migration):
    """The model after `target`, and its renames: table (after -> before), and column
    ((table after, column after) -> column before)."""
    tables: dict[str, str] = {}
    columns: dict[tuple[str, str], str] = {}
    model.begin_file(target.path, in_run=True)
    for top in parse(target.sql, target.path):
        for statement in expand(top):
            body = statement.body
            if statement.node_type == "RenameStmt" and "relation" in body:
                key = model.table_key(body["relation"])
                if key is not None and body["renameType"] == "OBJECT_TABLE":
                    new = f"{key.partition('.')[0]}.{body['newname']}"
                    tables[new] = tables.pop(key, key)
                    columns = {(new if t == key else t, c): o for (t, c), o in columns.items()}
                elif key is not None and body["renameType"] == "OBJECT_COLUMN":
                    old = body["subname"]
                    columns[(key, body["newname"])] = columns.pop((key, old), old)
            model.apply(statement)
    return model, tables, columns


class _Diff:
    def __init__(self, before, after, tables, columns, what: str) -> None:
        self.before, self.after = before, after
        self.renamed_tables, self.renamed_columns = tables, columns
        self.what, self.out = what, Inverse()

    def inverse(self) -> Inverse:
        origins = {self.renamed_tables.get(key, key): key for key in self.after.tables}
        for key, table in self.after.tables.items():
            origin = self.renamed_tables.get(key, key)
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
        self.out.tables.append(self._allow("dropping-table", "created it: its rows go with it"))
        self.out.tables.append(f"DROP TABLE {name(table.name)};")

    def _dropped(self, table: Table) -> None:
        lines = [
            f"  {name(c.name)} {c.type.sql}{' NOT NULL' if c.not_null else ''}"
            for c in table.columns.values()
        ]
        for constraint in table.constraints.values():
            if constraint.kind in ("primary", "unique") and constraint.columns:
                kind = "PRIMARY KEY" if constraint.kind == "primary" else "UNIQUE"
                cols = ", ".join(map(name, constraint.columns))
                lines.append(f"  CONSTRAINT {name(constraint.name)} {kind} ({cols})")
            elif not constraint.not_null_of:
                self.out.todo.append(
                    f"restore the {constraint.kind} constraint {constraint.name} of {name(table.name)}"
                )
        self.out.tables.append(
            f"-- {name(table.name)} comes back empty: {self.what} dropped it with its rows\n"
            f"CREATE TABLE {name(table.name)} (\n" + ",\n".join(lines) + "\n);"
        )
        constrained = {c.name for c in table.constraints.values()}
        for index in (self.before.indexes[k] for k in sorted(table.indexes)):
            if index.name.rpartition(".")[2] not in constrained:
                self.out.tables.append(_create_index(index, concurrently=False))
        self.out.todo += [
            f"restore the default of {name(table.name)}.{c.name}"
            for c in table.columns.values()
            if c.has_default
        ]
        self.out.todo += [f"restore trigger {t} on {name(table.name)}" for t in table.triggers]

    def _table(self, old: Table, new: Table) -> None:
        t = name(new.name)
        for constraint in new.constraints:
            if constraint not in old.constraints:
                self.out.tx.append(f"ALTER TABLE {t} DROP CONSTRAINT {name(constraint)};")
        self._columns(old, new, t)
        self.out.todo += [
            f"restore the {c.kind} constraint {n} of {name(old.name)}"
            for n, c in old.constraints.items()
            if n not in new.constraints and not c.not_null_of
        ]
        for trigger in new.triggers:
            if trigger not in old.triggers:
                self.out.tx.insert(0, f"DROP TRIGGER IF EXISTS {name(trigger)} ON {t};")
                self.out.tx.insert(0, self._allow("dropping-trigger", "created it"))
                self.out.todo.append(
                    f"drop the function of trigger {trigger}, if {self.what} made it for it"
                )
        self.out.todo += [
            f"restore trigger {n} on {name(old.name)}"
            for n in old.triggers
            if n not in new.triggers
        ]
        if new.name != old.name:
            self.out.renames.append(self._allow("renaming-table", f"renamed it from {old.short}"))
            self.out.renames.append(f"ALTER TABLE {t} RENAME TO {name(old.short)};")

    def _columns(self, old: Table, new: Table, t: str) -> None:
        originals = {n: self.renamed_columns.get((new.name, n), n) for n in new.columns}
        for column_name, column in new.columns.items():
            was = old.columns.get(originals[column_name])
            if was is None:
                self.out.tx.append(self._allow("dropping-column", f"added {column_name}"))
                self.out.tx.append(f"ALTER TABLE {t} DROP COLUMN {name(column_name)};")
                continue
            self._column(t, old, column_name, was, column)
            if originals[column_name] != column_name:
                self.out.renames.append(self._allow("renaming-column", f"renamed {was.name}"))
                self.out.renames.append(
                    f"ALTER TABLE {t} RENAME COLUMN {name(column_name)} TO {name(was.name)};"
                )
        for column_name, was in old.columns.items():
            if column_name not in originals.values():
                self.out.tx.append(
                    f"-- {t}.{column_name} comes back empty (NULL in every row): "
                    f"{self.what} dropped it with its values"
                    + (", and it was NOT NULL" if was.not_null else "")
                    + f"\nALTER TABLE {t} ADD COLUMN {name(column_name)} {was.type.sql};"
                )
                if was.has_default:
                    self.out.todo.append(f"restore the default of {name(old.name)}.{column_name}")

    def _column(self, t: str, old: Table, column_name: str, was, now) -> None:
        qualified = f"{name(old.name)}.{was.name}"
        if was.type.stored() != now.type.stored():
            self.out.todo.append(
                f"change {qualified} back to {was.type.sql} ({now.type.sql} since {self.what}): "
                f"`audifi-db new NAME --template change-column-type --table {t} --column "
                f"{column_name} --type '{was.type.sql}'` does it without a long lock"
            )
        if now.not_null and not was.not_null:
            self.out.tx.append(f"ALTER TABLE {t} ALTER COLUMN {name(column_name)} DROP NOT NULL;")
        elif was.not_null and not now.not_null:
            self.out.not_nulls.append(not_null(t, column_name))
        if now.has_default and not was.has_default:
            self.out.tx.append(f"ALTER TABLE {t} ALTER COLUMN {name(column_name)} DROP DEFAULT;")
        elif was.has_default and not now.has_default:
            self.out.todo.append(f"restore the default of {qualified}")

    def _indexes(self, origins: dict[str, str]) -> None:
        for key, index in self.after.indexes.items():
            table = self.renamed_tables.get(index.table, index.table)
            if key not in self.before.indexes and table in self.before.tables:
                self.out.concurrent.append(f"DROP INDEX CONCURRENTLY IF EXISTS {name(key)};")
        for key, index in self.before.indexes.items():
            if key not in self.after.indexes and index.table in origins:
                self.out.concurrent.append(_create_index(index, concurrently=True))


def _create_index(index, *, concurrently: bool) -> str:
    unique = "UNIQUE " if index.unique else ""
    how = "CONCURRENTLY IF NOT EXISTS " if concurrently else ""
    columns = ", ".join(map(name, index.columns)) or "<columns: see where it was created>"
    note = (
        f"-- index {index.name} as the model knows it (columns only): compare with {index.origin}\n"
    )
    return f"{note}CREATE {unique}INDEX {how}{name(index.name.rpartition('.')[2])} ON {name(index.table)} ({columns});"


def name(dotted: str) -> str:
    """A name as SQL: `public.` left out, quoted where it must be."""
    schema, _, short = dotted.rpartition(".")
    parts = [short] if schema in ("", "public") else [schema, short]
    return ".".join(p if PLAIN.match(p) else '"' + p.replace('"', '""') + '"' for p in parts)


def _texts(inverse: Inverse, target: Migration) -> list[tuple[str, str]]:
    head = (
        f"-- Reverts {target.path} (audifi-db new --template revert --of {target.version}),\n"
        "-- drafted from the schema model before and after it: review every line.\n"
    )
    todo = "".join(f"-- TODO: {item}\n" for item in inverse.todo)
    made = []
    tx = inverse.tx + inverse.renames + inverse.tables
    if tx:
        made.append(("revert", head + todo + "\n".join(tx) + "\n"))
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
