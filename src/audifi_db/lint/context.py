"""What the linter knows before each statement of a file: the server, the transaction mode,
and what earlier statements of the same file created or proved.

Pure code. The engine calls `observe` after the rules have seen a statement, so a rule
always sees the state *before* its statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..sql import Statement
from .nodes import alter_commands, column_constraints, relation_name, unwrap


@dataclass
class Context:
    """The state of one file as the linter walks its statements in order."""

    path: str
    server_version: int
    transactional: bool
    statements: list[Statement] = field(default_factory=list)
    created_tables: set[str] = field(default_factory=set)
    created_indexes: set[str] = field(default_factory=set)
    not_valid: dict[tuple[str, str], dict] = field(default_factory=dict)
    proven_not_null: set[tuple[str, str]] = field(default_factory=set)
    # ALTER TABLE subcommands of the statement last asked about: most of the rules look at
    # each ALTER TABLE, so its commands are collected once, not once per rule.
    _altered: tuple[int, list[tuple[str, dict]]] = (-1, [])

    def is_new(self, range_var: dict) -> bool:
        """Whether the table was created earlier in this file (so no one else uses it yet).
        Names are compared without their schema: a false "new" only silences a finding."""
        return range_var["relname"] in self.created_tables

    def is_new_table(self, name: str) -> bool:
        """`is_new` for a name, `schema.table` or `table`."""
        return name.rpartition(".")[2] in self.created_tables

    def altered(self, statement: Statement, *subtypes: str) -> list[tuple[str, dict]]:
        """(table, subcommand) for an ALTER TABLE's subcommands of these kinds, when the table
        existed before this file (what is done to a new table is safe)."""
        if self._altered[0] != statement.index:
            self._altered = (statement.index, self._existing_table_commands(statement))
        return [(table, cmd) for table, cmd in self._altered[1] if cmd["subtype"] in subtypes]

    def _existing_table_commands(self, statement: Statement) -> list[tuple[str, dict]]:
        body = statement.body
        if "relation" not in body or self.is_new(body["relation"]):
            return []
        table = relation_name(body["relation"])
        return [(table, cmd) for cmd in alter_commands(body)]

    def added_constraints(
        self, statement: Statement, contype: str
    ) -> Iterator[tuple[str, dict, str]]:
        """(table, constraint, its columns) for constraints of one kind added to a table that
        existed: by `ADD CONSTRAINT`, or declared on a column by `ADD COLUMN`."""
        for table, cmd in self.altered(statement, "AT_AddConstraint", "AT_AddColumn"):
            if cmd["subtype"] == "AT_AddConstraint":
                constraint = cmd["def"]["Constraint"]
                keys = constraint.get("fk_attrs") or constraint.get("keys", [])
                columns = ", ".join(k["String"]["sval"] for k in keys)
                if constraint["contype"] == contype:
                    yield table, constraint, columns
            else:
                column = cmd["def"]["ColumnDef"]
                for constraint in column_constraints(column):
                    if constraint["contype"] == contype:
                        yield table, constraint, column["colname"]

    def later_statements(self, statement: Statement) -> list[Statement]:
        return self.statements[statement.index + 1 :]

    def observe(self, statement: Statement) -> None:
        """Record what `statement` creates or proves, for the statements after it."""
        kind, body = statement.node_type, statement.body
        if kind == "CreateStmt":
            self._add_table(body["relation"])
        elif kind == "CreateTableAsStmt":
            self._add_table(body["into"]["rel"])
        elif kind == "IndexStmt" and body.get("idxname"):
            self.created_indexes.add(body["idxname"])
        elif kind == "RenameStmt" and body.get("renameType") == "OBJECT_TABLE":
            if self.is_new(body["relation"]):
                self.created_tables.add(body["newname"])
        elif kind == "AlterTableStmt" and "relation" in body:
            self._observe_alter(relation_name(body["relation"]), body)

    def _add_table(self, range_var: dict) -> None:
        self.created_tables.add(range_var["relname"])

    def _observe_alter(self, table: str, body: dict) -> None:
        for cmd in alter_commands(body):
            if cmd["subtype"] == "AT_AddConstraint":
                constraint = unwrap(cmd["def"])[1]
                if constraint.get("skip_validation"):
                    self.not_valid[(table, constraint.get("conname", ""))] = constraint
                else:
                    self._prove(table, constraint)
            elif cmd["subtype"] == "AT_ValidateConstraint":
                constraint = self.not_valid.pop((table, cmd["name"]), None)
                if constraint is not None:
                    self._prove(table, constraint)

    def _prove(self, table: str, constraint: dict) -> None:
        column = not_null_check_column(constraint)
        if column is not None:
            self.proven_not_null.add((table, column))


def not_null_check_column(constraint: dict) -> str | None:
    """`col` when the constraint is `CHECK (col IS NOT NULL)`, else None."""
    if constraint.get("contype") != "CONSTR_CHECK":
        return None
    test = constraint.get("raw_expr", {}).get("NullTest")
    if not test or test.get("nulltesttype") != "IS_NOT_NULL":
        return None
    fields = test["arg"].get("ColumnRef", {}).get("fields", [])
    return fields[-1]["String"]["sval"] if fields and "String" in fields[-1] else None
