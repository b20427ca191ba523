"""One module per lint rule.

Each statement rule module has `ID` (stable, kebab-case), `SEVERITY`, `NODE_TYPES` (the
statement kinds it looks at; `AlterTableStmt:AT_AddColumn` for one kind of ALTER TABLE
subcommand) and `check(ctx, statement) -> Iterator[Hit]`; its docstring is
the user-facing documentation (`docs/rules.md`). Rules the engine itself reports (allow
comments, syntax errors) have `ID`, `SEVERITY` and a docstring only.
"""
