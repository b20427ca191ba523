"""An allow comment that acknowledges nothing.

`-- audifi-db: allow <rule-id> <reason>` acknowledges a finding of that rule on the
statement right below it. When no such finding exists (the statement was fixed, the rule id
is misspelt, or the comment is not right above a statement), the comment is stale: remove
it or fix the rule id.

An allow is not judged where its statement is quiet only because an earlier migration of the
same run created what it touches (`lint` while that migration is pending too, as against an
empty database, or `--new-since`): where that migration is applied, the finding is there, so
`lint PATH` and `lint` against an empty database agree on the same files.
"""

from ..model import Severity

ID = "unused-allow"
SEVERITY = Severity.WARNING
