"""What the linter knows before each statement of a file: the server, the transaction mode,
and the schema model (what earlier migrations and earlier statements of this file left).

Pure code. The engine calls `observe` after the rules have seen a statement, so a rule
always sees the state *before* its statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..sql import Statement
from .nodes import alter_commands, column_constraints, relation_name
from .schema import SchemaModel, Table


class Context:
    """The state of one file as the linter walks its statements in order.

    `estimate(sql)` is the planner's estimate of the rows a write statement touches, when a
    database is at hand (`EXPLAIN` without `ANALYZE`); None when it cannot tell."""

    def __init__(
        self,
        path: str,
        server_version: int,
        transactional: bool,
        statements: list[Statement] | None = None,
        schema: SchemaModel | None = None,
    ) -> None:
        self.path = path
        self.server_version = server_version
        self.transactional = transactional
        self.statements = [] if statements is None else statements
        self.schema = SchemaModel() if schema is None else schema
        self.estimate: Callable[[str], float | None] = lambda _sql: None
        # ALTER TABLE subcommands of the statement last asked about: most of the rules look
        # at each ALTER TABLE, so its commands are collected once, not once per rule.
        self._altered: tuple[Statement | None, dict[str, list[tuple[str, dict]]]] = (None, {})

    def table(self, range_var: dict) -> Table | None:
        """The model's table for a RangeVar (None: a table the model does not know)."""
        return self.schema.table(range_var)

    def is_new(self, range_var: dict) -> bool:
        """Whether the table was created in this run or earlier in this file, so no
        running code uses it yet."""
        return self.schema.is_new(range_var)

    def is_new_table(self, name: str) -> bool:
        """`is_new` for a name, `schema.table` or `table`."""
        table = self.schema.table_named(name)
        return table is not None and self.schema.is_new_table(table)

    def is_new_index(self, name: str) -> bool:
        """Whether index `name` (`schema.index` or `index`) is on a new table (`is_new`)."""
        index = self.schema.index_named(name)
        return index is not None and self.is_new_table(index.table)

    def altered(self, statement: Statement, *subtypes: str) -> list[tuple[str, dict]]:
        """(table, subcommand) for an ALTER TABLE's subcommands of these kinds, when the table
        existed before this run (what is done to a new table is safe)."""
        asked, by_kind = self._altered
        if asked is not statement:
            by_kind = {}
            for table, cmd in self._existing_table_commands(statement):
                by_kind.setdefault(cmd["subtype"], []).append((table, cmd))
            self._altered = (statement, by_kind)
        if len(subtypes) == 1:
            return by_kind.get(subtypes[0], [])
        return [pair for subtype in subtypes for pair in by_kind.get(subtype, ())]

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

    def earlier_statements(self, statement: Statement) -> list[Statement]:
        return self.statements[: statement.index]

    def observe(self, statement: Statement) -> None:
        """Record what `statement` creates or changes, for the statements after it."""
        self.schema.apply(statement)
