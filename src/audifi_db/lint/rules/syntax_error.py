"""A migration that PostgreSQL's parser rejects.

The linter parses with PostgreSQL's own parser (pglast); a file it cannot parse would
fail on the server too, so nothing else in it is checked. Fix the SQL at the reported
line and column.
"""

from ..model import Severity

ID = "syntax-error"
SEVERITY = Severity.ERROR
