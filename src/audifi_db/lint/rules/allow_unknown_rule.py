"""An allow comment that names no rule.

`-- audifi-db: allow <rule-id> <reason>` must name one of the rules below, exactly as
listed (kebab-case). A misspelt id acknowledges nothing and would hide that the finding it
meant to acknowledge is still open; the report suggests the closest rule id.
"""

from ..model import Severity

ID = "allow-unknown-rule"
SEVERITY = Severity.ERROR
