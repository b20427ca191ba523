"""`GRANT … TO PUBLIC`.

`PUBLIC` is every role, present and future, including the ones for reporting tools and
third parties. Grant to the role that needs the privilege.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...sql import Statement
from ..context import Context
from ..model import Hit, Severity
from ..nodes import location_of

ID = "granting-to-public"
SEVERITY = Severity.ERROR
NODE_TYPES = ("GrantStmt",)


def check(ctx: Context, statement: Statement) -> Iterator[Hit]:
    body = statement.body
    if not body.get("is_grant"):
        return
    for grantee in body.get("grantees", []):
        role = grantee["RoleSpec"]
        if role["roletype"] == "ROLESPEC_PUBLIC":
            yield Hit(
                "the grant applies to every role, present and future",
                "GRANT … TO <the role that needs it>;",
                at=location_of(role),
            )
