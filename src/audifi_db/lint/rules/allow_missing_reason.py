"""An allow comment without a reason.

`-- audifi-db: allow <rule-id> <reason>`: the reason is required, because the next
reader must know why the finding is safe here (e.g. "table has 12 rows", "column unused
since release 2026.11"). Without a reason the comment acknowledges nothing.
"""

from ..model import Severity

ID = "allow-missing-reason"
SEVERITY = Severity.ERROR
