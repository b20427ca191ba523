"""`ALTER DOMAIN … ADD CONSTRAINT` without `NOT VALID`.

A new check on a domain is verified against every column of that domain (or of a domain
over it) in every table, each scanned in turn while the domain and those tables are
locked; and later type changes to the domain rewrite tables. Add it `NOT VALID` (new
values are checked from then on) and `VALIDATE CONSTRAINT` in a later migration. (squawk
asked the same: its `ban-alter-domain-with-add-constraint`.) A domain created in this run
is fine, unless a column of a table from before the run has that type: that table is
scanned.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..facts import origin
from ..model import Hit, Severity
from ..nodes import dotted, location_of
from ..schema import SchemaModel

ID = "adding-domain-constraint"
SEVERITY = Severity.ERROR
NODE_TYPES = ("AlterDomainStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if body.get("subtype") != "C":
        return
    constraint = body["def"]["Constraint"]
    if constraint.get("skip_validation"):
        return
    domain, name = dotted(body["typeName"]), constraint.get("conname", "<name>")
    key = ctx.schema.type_name(domain)
    columns = _columns_of_existing_tables(ctx.schema, key)
    if ctx.schema.is_new_object(key) and not columns:
        return
    yield Hit(
        f"the new check on domain {domain} scans every column of that domain in every table"
        + "".join(f"; {column}" for column in columns),
        f"""ALTER DOMAIN {domain} ADD CONSTRAINT {name} CHECK (...) NOT VALID;
-- in the next migration:
ALTER DOMAIN {domain} VALIDATE CONSTRAINT {name};""",
        at=location_of(constraint),
    )


def _columns_of_existing_tables(schema: SchemaModel, domain: str) -> list[str]:
    """`orders.total is cents since …` for each column of a table from before this run whose
    type is the domain or a domain over it: PostgreSQL scans those too."""
    domains = {domain}
    while derived := {n for n, d in schema.domains.items() if d.base.name in domains} - domains:
        domains |= derived
    return [
        f"{table.short}.{column.name} is {column.type.sql} since {origin(column.since)}"
        for table in schema.tables.values()
        if not schema.is_new_table(table)
        for column in table.columns.values()
        if column.type.name in domains and not column.type.array
    ]
