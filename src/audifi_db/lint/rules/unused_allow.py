"""An allow comment that acknowledges nothing.

`-- audifi-db: allow <rule-id> <reason>` acknowledges a finding of that rule on the
statement right below it. When no such finding exists (the statement was fixed, the rule id
is misspelt, or the comment is not right above a statement), the comment is stale: remove
it or fix the rule id.
"""

from ..model import Severity

ID = "unused-allow"
SEVERITY = Severity.WARNING
