"""Generated migration folders for `lint_bench.py`.

`history(folder, files)`: a project's history, file by file as a team writes them — a
table created with its indexes, columns added, concurrent indexes in no-transaction files,
foreign keys added NOT VALID then validated, enums, views, triggers, batched backfills,
renames acknowledged with an allow, comments and grants: a few statements per file under a
header comment, each migration about the tables the earlier ones created.

`bulk(folder, statements, files)`: many statements in few files (the 10,000-statement
case), mixed kinds.

Deterministic: the same arguments write the same bytes.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

START = datetime(2023, 1, 2, 9)
HEADER = "-- Migration {version}_{name}\n-- Created by the bench generator. Forward-only.\n\n"
COLUMN_TYPES = ("text", "integer", "bigint", "boolean", "timestamptz", "numeric(12, 2)", "jsonb")


class _Project:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.tables: dict[str, list[str]] = {}
        self.enums: dict[str, list[str]] = {}
        self.counter = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def table(self) -> str:
        return self.random.choice(list(self.tables))

    def create_table(self) -> tuple[str, list[str], bool]:
        table = self.name("t")
        columns = [f"{self.name('c')} {self.random.choice(COLUMN_TYPES)}" for _ in range(4)]
        lines = [f"CREATE TABLE IF NOT EXISTS {table} (", "    id bigint PRIMARY KEY,"]
        if self.tables and self.random.random() < 0.6:
            parent = self.table()
            lines.append(f"    {parent}_id bigint NOT NULL REFERENCES {parent} (id),")
        lines += [f"    {c}," for c in columns]
        lines.append("    created_at timestamptz NOT NULL DEFAULT now()")
        lines.append(");")
        self.tables[table] = [c.split()[0] for c in columns]
        index = f"CREATE INDEX IF NOT EXISTS {table}_created_at ON {table} (created_at);"
        return "create", ["\n".join(lines), index], True

    def add_columns(self) -> tuple[str, list[str], bool]:
        table = self.table()
        statements = []
        for _ in range(self.random.randint(1, 3)):
            column = self.name("c")
            self.tables[table].append(column)
            default = self.random.choice(["", " DEFAULT 0", " NOT NULL DEFAULT ''"])
            kind = "integer" if "0" in default else "text"
            statements.append(
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}{default};"
            )
        return "add_columns", statements, True

    def concurrent_index(self) -> tuple[str, list[str], bool]:
        table = self.table()
        column = self.random.choice(self.tables[table])
        return (
            "index",
            [
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_{column}_idx ON {table} ({column});"
            ],
            False,
        )

    def foreign_key(self) -> tuple[str, list[str], bool]:
        table, other = self.table(), self.table()
        column, key = self.name("c"), self.name("fk")
        return (
            "foreign_key",
            [
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} bigint;",
                f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {key};",
                f"ALTER TABLE {table} ADD CONSTRAINT {key} FOREIGN KEY ({column}) "
                f"REFERENCES {other} (id) NOT VALID;",
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {key};",
            ],
            False,
        )

    def enum(self) -> tuple[str, list[str], bool]:
        if self.enums and self.random.random() < 0.5:
            enum = self.random.choice(list(self.enums))
            value = self.name("v")
            return "enum_value", [f"ALTER TYPE {enum} ADD VALUE IF NOT EXISTS '{value}';"], True
        enum = self.name("kind")
        self.enums[enum] = ["a", "b"]
        return "enum", [f"CREATE TYPE {enum} AS ENUM ('a', 'b');"], True

    def view(self) -> tuple[str, list[str], bool]:
        table = self.table()
        columns = ", ".join(self.tables[table][:3])
        return (
            "view",
            [
                f"CREATE OR REPLACE VIEW {table}_recent AS SELECT id, {columns} FROM {table} "
                "WHERE created_at > now() - interval '30 days';"
            ],
            True,
        )

    def trigger(self) -> tuple[str, list[str], bool]:
        table = self.table()
        return (
            "trigger",
            [
                f"CREATE OR REPLACE FUNCTION {table}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN\n  NEW.created_at := coalesce(NEW.created_at, now());\n  RETURN NEW;\nEND $$;",
                f"CREATE OR REPLACE TRIGGER {table}_touch BEFORE INSERT ON {table}\n"
                f"  FOR EACH ROW EXECUTE FUNCTION {table}_touch();",
            ],
            True,
        )

    def backfill(self) -> tuple[str, list[str], bool]:
        table = self.table()
        column = self.random.choice(self.tables[table])
        return (
            "backfill",
            [
                "DO $$\nDECLARE n bigint;\nBEGIN\n  LOOP\n"
                f"    UPDATE {table} SET {column} = DEFAULT WHERE ctid IN (SELECT ctid FROM {table}\n"
                f"      WHERE {column} IS NULL AND id < 1000000 LIMIT 10000);\n"
                "    GET DIAGNOSTICS n = ROW_COUNT;\n    EXIT WHEN n = 0;\n    COMMIT;\n"
                "  END LOOP;\nEND $$;"
            ],
            False,
        )

    def seed_rows(self) -> tuple[str, list[str], bool]:
        table = self.table()
        rows = ", ".join(f"({self.counter * 10 + i})" for i in range(5))
        return "seed", [f"INSERT INTO {table} (id) VALUES {rows} ON CONFLICT DO NOTHING;"], True

    def rename(self) -> tuple[str, list[str], bool]:
        table = self.table()
        old = self.tables[table].pop()
        new = self.name("c")
        self.tables[table].append(new)
        return (
            "rename",
            [
                "-- audifi-db: allow renaming-column no code reads it yet (release 12)\n"
                f"ALTER TABLE {table} RENAME COLUMN {old} TO {new};"
            ],
            True,
        )

    def comment(self) -> tuple[str, list[str], bool]:
        table = self.table()
        return (
            "comment",
            [
                f"COMMENT ON TABLE {table} IS 'owned by the {self.name('team')} team';",
                f"GRANT SELECT ON {table} TO reporting;",
            ],
            True,
        )

    def check(self) -> tuple[str, list[str], bool]:
        table, key = self.table(), self.name("ck")
        return (
            "check",
            [
                f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {key};",
                f"ALTER TABLE {table} ADD CONSTRAINT {key} CHECK (id > 0) NOT VALID;",
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {key};",
            ],
            False,
        )


_WEIGHTS = {
    "create_table": 16,
    "add_columns": 20,
    "concurrent_index": 10,
    "foreign_key": 7,
    "enum": 5,
    "view": 5,
    "trigger": 5,
    "backfill": 5,
    "seed_rows": 7,
    "rename": 3,
    "comment": 10,
    "check": 7,
}


def history(folder: Path, files: int, seed: int = 7) -> list[Path]:
    """A project's migration history of `files` files in `folder`."""
    project = _Project(seed)
    kinds, weights = list(_WEIGHTS), list(_WEIGHTS.values())
    paths = []
    for i in range(files):
        kind = (
            "create_table" if len(project.tables) < 3 else project.random.choices(kinds, weights)[0]
        )
        name, statements, transactional = getattr(project, kind)()
        version = (START + timedelta(hours=7 * i)).strftime("%Y%m%d%H%M%S")
        text = HEADER.format(version=version, name=name)
        if not transactional:
            text = "-- audifi-db: no-transaction\n" + text
        path = folder / f"{version}_{name}.sql"
        path.write_text(text + "\n\n".join(statements) + "\n")
        paths.append(path)
    return paths


BULK = (
    "CREATE TABLE IF NOT EXISTS t{i} (id bigint PRIMARY KEY, artist_id bigint NOT NULL,"
    " title text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());",
    "ALTER TABLE tracks ADD COLUMN c{i} integer;",
    "ALTER TABLE tracks ADD COLUMN d{i} bigint NOT NULL DEFAULT 0;",
    "CREATE INDEX tracks_{i}_idx ON tracks (artist_id, created_at);",
    "INSERT INTO plans (id, name) VALUES ({i}, 'plan {i}');",
    "UPDATE tracks SET plays = plays + 1 WHERE id = {i};",
    "ALTER TABLE tracks ALTER COLUMN c{i} TYPE bigint;",
    "ALTER TABLE tracks ADD CONSTRAINT tracks_{i}_fk FOREIGN KEY (artist_id)"
    " REFERENCES artists (id) NOT VALID;",
    "SELECT id, title FROM tracks WHERE artist_id = {i} ORDER BY created_at DESC LIMIT 10;",
    "CREATE OR REPLACE FUNCTION f{i}() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN NEW.updated_at := now(); RETURN NEW; END $$;",
    "COMMENT ON TABLE tracks IS 'tracks {i}';",
    "ALTER TABLE tracks DROP COLUMN IF EXISTS old_{i};",
)


PRELUDE = """CREATE TABLE artists (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE plans (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE tracks (id bigint PRIMARY KEY, artist_id bigint NOT NULL, title text NOT NULL,
  plays integer NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz);
"""


def bulk(folder: Path, statements: int, files: int) -> list[Path]:
    """`statements` mixed statements spread over `files` migration files, after a first one
    creating the tables they use."""
    per_file = statements // files
    prelude = folder / "20250101000000_tables.sql"
    prelude.write_text(PRELUDE)
    paths = [prelude]
    for f in range(files):
        lines = [
            BULK[(f * per_file + s) % len(BULK)].format(i=f * per_file + s) for s in range(per_file)
        ]
        path = folder / f"2025010101{f:04d}_bulk.sql"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths
