"""`lint --trace`: a statement failed on the scratch database.

The scratch database holds the schema the migrations start from, without its data. A
statement that fails there fails on deploy too, unless it depends on rows (then the
failure says which). Nothing after it in the trace was run.
"""

from ..model import Severity

ID = "trace-statement-failed"
SEVERITY = Severity.ERROR
