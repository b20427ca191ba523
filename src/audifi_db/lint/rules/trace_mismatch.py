"""`lint --trace`: the server locked or rewrote otherwise than the linter predicted.

`--trace` runs the migrations on a scratch database and reads, after each statement, the
locks its session holds and which tables got new storage. When that differs from the
static prediction, the real behaviour is what deploy will do: an error when the server
took a stronger lock or rewrote a table the linter did not expect, a warning when it did
less. Please report it: every mismatch is a bug in the linter's tables.
"""

from ..model import Severity

ID = "trace-mismatch"
SEVERITY = Severity.ERROR
