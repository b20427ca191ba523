"""`ALTER DOMAIN … ADD CONSTRAINT` without `NOT VALID`.

A new check on a domain is verified against every column of that domain in every table,
each scanned in turn while the domain and those tables are locked; and later type changes
to the domain rewrite tables. Add it `NOT VALID` (new values are checked from then on) and
`VALIDATE CONSTRAINT` in a later migration. (squawk asked the same: its
`ban-alter-domain-with-add-constraint`.)
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import dotted, location_of

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
    if ctx.schema.is_new_object(ctx.schema.type_name(domain)):
        return
    yield Hit(
        f"the new check on domain {domain} scans every column of that domain in every table",
        f"""ALTER DOMAIN {domain} ADD CONSTRAINT {name} CHECK (...) NOT VALID;
-- in the next migration:
ALTER DOMAIN {domain} VALIDATE CONSTRAINT {name};""",
        at=location_of(constraint),
    )
